using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace WebGen.WebApp.Tests;

/// <summary>bUnit tests of MudBlazor components: a context with MudBlazor's services, disposed asynchronously as they require.</summary>
public abstract class MudComponentTests : IAsyncLifetime
{
    protected MudComponentTests()
    {
        Context.Services.AddMudServices();
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
    }

    protected BunitContext Context { get; } = new();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync() => await Context.DisposeAsync();
}
