using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bunit;
using MudBlazor;
using MudBlazor.Extensions;
using WebGen.Cli;
using WebGen.Shared;
using WebGen.WebApp.Components.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>
/// Every row of <see cref="Hyperparameters"/> probed at and beyond its ends: the command line, the JSON API and the
/// new-run form accept exactly the values the table accepts, so the three can never disagree on a range again.
/// </summary>
public sealed class HyperparameterTableTests(WebGenFactory factory) : MudComponentTests, IClassFixture<WebGenFactory>
{
    /// <summary>Values just inside and just outside a field's range, and a few that are not values of it at all.</summary>
    public static TheoryData<string, string> Probes()
    {
        var probes = new TheoryData<string, string>();
        foreach (var field in Hyperparameters.All)
        {
            IEnumerable<string> values = field switch
            {
                WholeNumber n => [.. new long[] { n.Min - 1L, n.Min, n.Max, n.Max + 1L }.Select(v => v.ToString(CultureInfo.InvariantCulture))],
                RealNumber r => [Text(r.Min), Text(r.Min + 1e-6), Text((r.Min + r.Max) / 2), Text(r.Max), Text(r.Max + 1e-6), Text(r.Min - 1)],
                Choice c => [.. c.Values, "tpu", "VAE"],
                _ => throw new InvalidOperationException($"no probes for {field.GetType().Name}"),
            };
            foreach (var value in values)
                probes.Add(field.Name, value);
        }
        return probes;
    }

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static Hyperparameter Field(string name) => Hyperparameters.All.Single(f => f.Name == name);

    private static bool TableAccepts(Hyperparameter field, string value) => field.Parse(TrainingOptions.For(ModelFor(field)), value) is not null;

    /// <summary>The model whose form shows the field: k belongs to the GMVAE, gw and cw to the SSVAE.</summary>
    private static ModelKind ModelFor(Hyperparameter field) =>
        field == Hyperparameters.K ? ModelKind.Gmvae
        : field == Hyperparameters.GenWeight || field == Hyperparameters.ClassWeight ? ModelKind.Ssvae
        : ModelKind.Vae;

    [Theory]
    [MemberData(nameof(Probes))]
    public void TheCommandLine_AcceptsWhatTheTableAccepts(string name, string value)
    {
        var field = Field(name);
        string[] args = field == Hyperparameters.Model ? [value] : [ModelNames.Of(ModelFor(field)), field.Flag, value];
        var line = new CommandLine("train", args, new HashSet<string>());
        var error = Record.Exception(() => line.RunOptions());
        if (TableAccepts(field, value))
            Assert.Null(error);
        else
            Assert.Contains(value, Assert.IsType<UsageException>(error).Message);
    }

    [Theory]
    [MemberData(nameof(Probes))]
    public async Task TheApi_RefusesTheFieldExactlyWhenTheTableDoes(string name, string value)
    {
        var field = Field(name);
        // A second, unknown field makes every request a 400 that queues nothing; the probed field's own entry in the
        // errors says whether it was accepted.
        var body = new JsonObject { ["notAnOption"] = 1, [field.Name] = field is Choice ? JsonValue.Create(value) : JsonNode.Parse(value) };
        if (field != Hyperparameters.Model)
            body["model"] = ModelNames.Of(ModelFor(field));
        using var client = factory.CreateClient();
        var response = await client.PostAsync("/api/runs", JsonContent.Create(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("notAnOption"));
        Assert.Equal(!TableAccepts(field, value), errors.ContainsKey(field.Name));
    }

    [Theory]
    [MemberData(nameof(Probes))]
    public void TheForm_MarksTheFieldExactlyWhenTheTableRefuses(string name, string value)
    {
        var field = Field(name);
        var form = Context.Render<RunForm>(p => p.Add(f => f.Model, ModelFor(field)));
        switch (field)
        {
            case { OnForm: false }:
                Assert.DoesNotContain(field.Label, form.Markup);
                break;
            case Choice choice:
                // A select offers exactly the table's values: nothing else can be picked.
                var offered = choice == Hyperparameters.Model
                    ? form.FindComponents<MudSelectItem<ModelKind>>().Select(i => ModelNames.Of(i.Instance.Value))
                    : form.FindComponents<MudSelectItem<string>>().Select(i => i.Instance.Value!);
                Assert.Equal(TableAccepts(field, value), offered.Contains(value));
                break;
            case WholeNumber:
                Assert.Equal(!TableAccepts(field, value), Typed<int>(form, field, value));
                break;
            default:
                Assert.Equal(!TableAccepts(field, value), Typed<double>(form, field, value));
                break;
        }
    }

    /// <summary>Types <paramref name="value"/> into the field labelled as the table labels it; whether it is then marked in error.</summary>
    private static bool Typed<T>(IRenderedComponent<RunForm> form, Hyperparameter field, string value)
    {
        var input = form.FindComponents<MudNumericField<T>>().Single(c => c.Instance.Label == field.Label);
        input.Find("input").Input(value);
        var marked = false;
        form.WaitForAssertion(() =>
        {
            var shown = form.FindComponents<MudNumericField<T>>().Single(c => c.Instance.Label == field.Label).Instance;
            Assert.Equal(double.Parse(value, CultureInfo.InvariantCulture), Convert.ToDouble(shown.GetState(x => x.Value), CultureInfo.InvariantCulture));
            marked = shown.GetState(x => x.Error);
        });
        return marked;
    }
}
