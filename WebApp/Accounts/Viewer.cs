using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace WebGen.WebApp.Accounts;

public static class Roles
{
    public const string Student = "Student";
    public const string Instructor = "Instructor";
}

/// <summary>
/// Who is asking, as the runs see it. In single mode that is the laptop's one person, who owns every run and has no
/// limits; in class mode a signed-in student (their own runs, the class's limits) or an instructor (every run).
/// </summary>
public sealed record Viewer(string? UserId, string? Name, bool IsInstructor)
{
    /// <summary>The one person of single mode: sees and manages every run, no limits apply.</summary>
    public static readonly Viewer Single = new(null, null, IsInstructor: true);

    /// <summary>A class-mode request without a signed-in user: sees nothing (the authorisation policies keep it out anyway).</summary>
    public static readonly Viewer Anonymous = new(null, null, IsInstructor: false);

    /// <summary>Instructors (and single mode's one person) see everything; students what they own.</summary>
    public bool MaySeeOwnedBy(string? ownerId) => IsInstructor || (UserId is not null && ownerId == UserId);

    /// <summary>The class's limits bind students only: the instructor's own runs are demonstrations, not homework.</summary>
    public bool IsLimited => !IsInstructor;
}

/// <summary>Turns a request's or a circuit's user into a <see cref="Viewer"/>, according to the mode.</summary>
public sealed class ClassAccess(IOptions<WebGenOptions> options)
{
    public bool IsClassMode => options.Value.IsClassMode;

    public Viewer ViewerOf(ClaimsPrincipal? user) =>
        !IsClassMode ? Viewer.Single
        : user?.FindFirstValue(ClaimTypes.NameIdentifier) is { } id
            ? new Viewer(id, user.Identity?.Name, user.IsInRole(Roles.Instructor))
            : Viewer.Anonymous;

    /// <summary>For pages: the viewer of the circuit's (or the static render's) cascading authentication state.</summary>
    public async Task<Viewer> ViewerOf(Task<AuthenticationState> authentication) => ViewerOf((await authentication).User);
}
