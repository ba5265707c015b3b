using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Accounts;

/// <summary>Registration (open or by invitation), the instructor's invitation codes, and the initial instructor.</summary>
public sealed class AccountService(
    UserManager<IdentityUser> users, RoleManager<IdentityRole> roles, IDbContextFactory<WebGenDb> dbFactory, ClassRules rules,
    ILogger<AccountService> logger)
{
    /// <summary>Letters and digits that cannot be mistaken for one another when read aloud or copied by hand.</summary>
    private const string CodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    public const int MaxInvitationsAtOnce = 200;

    /// <summary>
    /// Creates a student account; returns what is wrong instead (a missing or used code, a weak password, …). An
    /// e-mail that already has an account gets the same empty answer as a new one and the same effect on the code (it
    /// is spent either way), so registration tells nobody which e-mails have accounts, and one code answers one
    /// registration, never a series of probes. Every refusal depends only on the code and the password.
    /// </summary>
    public async Task<IReadOnlyList<string>> RegisterAsync(string email, string password, string? invitationCode)
    {
        email = email.Trim();
        var code = invitationCode?.Trim().ToUpperInvariant();
        var byInvitation = rules.Current.Registration == RegistrationMode.Invitation;
        if (byInvitation)
        {
            if (string.IsNullOrEmpty(code))
                return ["Registration needs an invitation code from your instructor."];
            if (!await IsUnusedAsync(code))
                return [UnknownCode(code)];
        }
        var user = new IdentityUser { UserName = email, Email = email };
        var weak = new List<string>();
        foreach (var validator in users.PasswordValidators)
            if (await validator.ValidateAsync(users, user, password) is { Succeeded: false } result)
                weak.AddRange(result.Errors.Select(e => e.Description));
        if (weak.Count > 0)
            return weak;
        if (byInvitation && !await ClaimInvitationAsync(code!, email))
            return [UnknownCode(code!)]; // someone else's registration took it a moment ago
        if (await users.FindByEmailAsync(email) is not null || await users.FindByNameAsync(email) is not null)
        {
            users.PasswordHasher.HashPassword(user, password); // the time a new account's hashing takes, so timing tells nothing either
            logger.LogInformation("Registration for {Email}, which already has an account: answered as for a new one, the account unchanged", email);
            return [];
        }
        var created = await users.CreateAsync(user, password);
        if (created.Succeeded)
            created = await users.AddToRoleAsync(user, Roles.Student);
        if (created.Succeeded)
        {
            logger.LogInformation("Student {Email} registered{How}", email, byInvitation ? $" with invitation {code}" : "");
            return [];
        }
        if (byInvitation)
            await ReleaseInvitationAsync(code!); // the code stays usable when the account could not be made
        return [.. created.Errors.Select(e => e.Description)];
    }

    private static string UnknownCode(string code) =>
        $"The invitation code {Security.JsonBody.Cut(code, 20)} is unknown or has been used; ask your instructor for a new one.";

    private async Task<bool> IsUnusedAsync(string code)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        return await db.Invitations.AnyAsync(i => i.Code == code && i.UsedUtc == null);
    }

    public async Task<IReadOnlyList<InvitationEntity>> InvitationsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var all = await db.Invitations.AsNoTracking().ToListAsync(cancellationToken);
        return [.. all.OrderByDescending(i => i.CreatedUtc).ThenBy(i => i.Code)];
    }

    public async Task<IReadOnlyList<string>> CreateInvitationsAsync(int count, CancellationToken cancellationToken = default)
    {
        if (count is < 1 or > MaxInvitationsAtOnce)
            throw new ArgumentOutOfRangeException(nameof(count), $"count {count}: accepted values are 1 to {MaxInvitationsAtOnce}.");
        var now = DateTime.UtcNow;
        var codes = Enumerable.Range(0, count).Select(_ => RandomNumberGenerator.GetString(CodeAlphabet, 4) + "-" + RandomNumberGenerator.GetString(CodeAlphabet, 4)).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Invitations.AddRange(codes.Select(c => new InvitationEntity { Code = c, CreatedUtc = now }));
        await db.SaveChangesAsync(cancellationToken);
        return codes;
    }

    /// <summary>Withdraws an unused code; false when it is unknown or already used.</summary>
    public async Task<bool> RevokeInvitationAsync(string code, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Invitations.Where(i => i.Code == code && i.UsedUtc == null).ExecuteDeleteAsync(cancellationToken) == 1;
    }

    /// <summary>Marks a code used in one statement, so two people can never register with the same code.</summary>
    private async Task<bool> ClaimInvitationAsync(string code, string email)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var now = DateTime.UtcNow;
        return await db.Invitations.Where(i => i.Code == code && i.UsedUtc == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedBy, email).SetProperty(i => i.UsedUtc, now)) == 1;
    }

    private async Task ReleaseInvitationAsync(string code)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.Invitations.Where(i => i.Code == code)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedBy, (string?)null).SetProperty(i => i.UsedUtc, (DateTime?)null));
    }

    /// <summary>The two roles, and the instructor named in configuration (created with its password when missing).</summary>
    internal async Task EnsureInstructorAsync(ClassOptions options)
    {
        foreach (var role in new[] { Roles.Student, Roles.Instructor })
            if (!await roles.RoleExistsAsync(role))
                Check(await roles.CreateAsync(new IdentityRole(role)), $"role {role}");
        if (string.IsNullOrWhiteSpace(options.InstructorEmail))
            throw new InvalidOperationException("WebGen:Mode is class but WebGen:Class:InstructorEmail is empty: name the instructor's e-mail, e.g. --WebGen:Class:InstructorEmail teacher@school.edu.");
        var email = options.InstructorEmail.Trim();
        var instructor = await users.FindByEmailAsync(email);
        if (instructor is null)
        {
            if (string.IsNullOrEmpty(options.InstructorPassword))
                throw new InvalidOperationException($"There is no account {email} yet and WebGen:Class:InstructorPassword is empty: give the password to create the instructor with.");
            instructor = new IdentityUser { UserName = email, Email = email, EmailConfirmed = true };
            Check(await users.CreateAsync(instructor, options.InstructorPassword), $"WebGen:Class:InstructorPassword for {email}");
            logger.LogWarning("Class mode: created the instructor account {Email} with the password from WebGen:Class:InstructorPassword", email);
        }
        if (!await users.IsInRoleAsync(instructor, Roles.Instructor))
            Check(await users.AddToRoleAsync(instructor, Roles.Instructor), $"the Instructor role for {email}");
        logger.LogInformation("Class mode: {Email} is the instructor; registration is by {Registration}", email, rules.Current.Registration.ToString().ToLowerInvariant());
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
            throw new InvalidOperationException($"{what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
    }
}
