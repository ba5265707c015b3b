using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using WebGen.WebApp.Data;
using WebGen.WebApp.Security;

namespace WebGen.WebApp.Accounts;

/// <summary>
/// The authorisation policies pages, endpoints and hubs name. Both pass everyone in single mode (there is no login);
/// in class mode <see cref="Member"/> needs a signed-in user and <see cref="Instructor"/> the Instructor role.
/// </summary>
public static class ClassPolicies
{
    public const string Member = "ClassMember";
    public const string Instructor = "ClassInstructor";
}

/// <summary>Met by anyone in single mode; in class mode by a signed-in user, in <see cref="Role"/> when one is named.</summary>
public sealed record ClassModeRequirement(string? Role) : IAuthorizationRequirement;

public sealed class ClassModeHandler(ClassAccess access) : AuthorizationHandler<ClassModeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ClassModeRequirement requirement)
    {
        if (!access.IsClassMode
            || (context.User.Identity?.IsAuthenticated == true && (requirement.Role is null || context.User.IsInRole(requirement.Role))))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>Accounts (ASP.NET Core Identity in the app's database) and the policies; the start-up is <see cref="StoreStartup"/>.</summary>
public static class AccountsSetup
{
    public const string LoginPath = AppPaths.Login;
    public const string LogoutPath = AppPaths.Logout;
    public const string RegisterPath = AppPaths.Register;
    public const string DeniedPath = AppPaths.Denied;

    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddIdentity<IdentityUser, IdentityRole>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 8;
                // No lock-out: five wrong passwords from anyone would lock the instructor out. SignInThrottle slows
                // guessing per address instead.
                o.Lockout.AllowedForNewUsers = false;
            })
            .AddEntityFrameworkStores<WebGenDb>()
            .AddDefaultTokenProviders();
        builder.Services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = LoginPath;
            o.AccessDeniedPath = DeniedPath;
            // Scripts and SignalR clients get status codes, people the login page.
            o.Events.OnRedirectToLogin = context => StatusOrRedirect(context, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = context => StatusOrRedirect(context, StatusCodes.Status403Forbidden);
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ClassPolicies.Member, p => p.AddRequirements(new ClassModeRequirement(null)))
            .AddPolicy(ClassPolicies.Instructor, p => p.AddRequirements(new ClassModeRequirement(Roles.Instructor)));
        builder.Services.AddSingleton<IAuthorizationHandler, ClassModeHandler>();
        builder.Services.AddSingleton<ClassAccess>();
        builder.Services.AddSingleton<ClassRules>();
        builder.Services.AddScoped<AccountService>();
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }

    private static Task StatusOrRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        if (!RequestGuard.IsApi(context.Request.Path))
        {
            context.Response.Redirect(context.RedirectUri);
            return Task.CompletedTask;
        }
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ProblemDetails
        {
            Status = status,
            Detail = status == StatusCodes.Status401Unauthorized
                ? $"WebGen runs in class mode: sign in first ({LoginPath}) and send the sign-in cookie."
                : "Only instructors may do this.",
        });
    }

    /// <summary>
    /// Sign-out is a form POST with the antiforgery token from the app bar. The token is checked here rather than by
    /// the middleware, whose refusal of a missing token would surface as a 500: a post without it is a 400 saying so.
    /// </summary>
    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        app.MapPost(LogoutPath, async (HttpContext http, IAntiforgery antiforgery, SignInManager<IdentityUser> signIn) =>
        {
            bool valid;
            try
            {
                valid = await antiforgery.IsRequestValidAsync(http);
            }
            catch (Exception e) when (e is InvalidDataException or IOException && !http.RequestAborted.IsCancellationRequested)
            {
                valid = false; // a body that is not a readable form
            }
            if (!valid)
                return Results.Problem("Signing out needs the antiforgery token of a WebGen page: use the app bar's Sign out button.", statusCode: StatusCodes.Status400BadRequest);
            await signIn.SignOutAsync();
            return Results.LocalRedirect(LoginPath);
        }).DisableAntiforgery();
        return app;
    }
}
