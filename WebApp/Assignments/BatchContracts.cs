using System.Text.RegularExpressions;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Assignments;

/// <summary>One student of the class, as a batch's entries are matched to them.</summary>
public sealed record ClassStudent(string Id, string Name);

/// <summary>
/// The name pattern that maps a batch's entries to students: a regular expression over each entry's path in the zip,
/// whose group <c>student</c> names the student (compared with the accounts' names and the part of their e-mail before
/// the @, letters and digits only, case ignored) and whose optional group <c>part</c> names the part (e.g. "vae",
/// "ssvae gw=0"); without it, every entry goes to the part chosen for the batch.
/// </summary>
public static class BatchPattern
{
    /// <summary>The first folder or file name up to "_": what Canvas ("doejane_1234_5678_vae.pt") and Moodle ("Jane Doe_1234_assignsubmission_file_/vae.pt") export.</summary>
    public const string Default = "^(?<student>[^/_]+)";
    public const int MaxLength = 500;
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    public static (Regex? Regex, string? Error) Parse(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern) || pattern.Length > MaxLength)
            return (null, $"pattern: give a regular expression of 1 to {MaxLength} characters with a group (?<student>…), e.g. {Default}.");
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, MatchTimeout);
        }
        catch (ArgumentException e)
        {
            return (null, $"pattern {Security.JsonBody.Cut(pattern, 100)}: not a regular expression ({e.Message}); e.g. {Default}.");
        }
        if (!regex.GetGroupNames().Contains("student"))
            return (null, $"pattern {Security.JsonBody.Cut(pattern, 100)}: has no group (?<student>…) naming the student; e.g. {Default}.");
        return (regex, null);
    }

    /// <summary>Letters and digits only, lower case: "Jane Doe", "jane.doe" and "JaneDoe" read alike.</summary>
    public static string Key(string text) => new([.. text.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);

    /// <summary>
    /// The student and part of one entry, or why there is none: the pattern does not match, the name fits no student
    /// or several, the part named is not the assignment's, or no part is named and none was chosen for the batch.
    /// </summary>
    public static (ClassStudent? Student, PartState? Part, string? Problem) Match(
        Regex regex, string entryName, IReadOnlyList<ClassStudent> students, IReadOnlyList<PartState> parts, PartState? batchPart)
    {
        Match match;
        try
        {
            match = regex.Match(entryName);
        }
        catch (RegexMatchTimeoutException)
        {
            return (null, null, "unmatched: the pattern took too long on this name; simplify it.");
        }
        if (!match.Success || Key(match.Groups["student"].Value) is not { Length: > 0 } key)
            return (null, null, "unmatched: the pattern finds no student's name in it.");
        var found = students.Where(s => Key(s.Name) == key || Key(s.Name.Split('@')[0]) == key).ToList();
        if (found.Count == 0)
            return (null, null, $"unmatched: \"{match.Groups["student"].Value}\" is no student of the class.");
        if (found.Count > 1)
            return (null, null, $"unmatched: \"{match.Groups["student"].Value}\" fits {string.Join(", ", found.Select(s => s.Name))}; make the pattern tell them apart.");
        var part = batchPart;
        if (match.Groups["part"] is { Success: true } named)
        {
            part = parts.FirstOrDefault(p => Key(p.Name) == Key(named.Value));
            if (part is null)
                return (found[0], null, $"unmatched part: \"{named.Value}\" is none of {string.Join(", ", parts.Select(p => p.Name))}.");
        }
        if (part is null)
            return (found[0], null, $"unmatched part: choose the batch's part, or name it with a group (?<part>…) ({string.Join(", ", parts.Select(p => p.Name))}).");
        return (found[0], part, null);
    }
}

/// <summary>
/// One file of a batch: its name in the zip, the student and part it maps to, why it is not submitted (an unsafe name,
/// too large, unmatched, a checkpoint the loader refused), and once submitted its submission and that one's status.
/// </summary>
public sealed record BatchEntryState(
    int Index, string Name, long Bytes, string? StudentId, string? Student, Guid? PartId, string? Part, string? Problem, Guid? SubmissionId, ReviewStatus? Status)
{
    public bool IsMatched => StudentId is not null && PartId is not null && Problem is null;
}

/// <summary>The batch's counts: files refused (with their reasons), evaluated, failed in evaluation, and pending (not yet submitted, queued or evaluating).</summary>
public sealed record BatchProgress(int Files, int Refused, int Pending, int Evaluated, int Failed)
{
    public bool IsFinished => Pending == 0;
}

/// <summary>
/// A batch upload of one assignment: previewed (entries mapped by <see cref="Pattern"/>, to <see cref="PartId"/> unless
/// the pattern names the part) until the instructor confirms it, then submitted entry by entry and evaluated.
/// </summary>
public sealed record BatchState(
    Guid Id, Guid AssignmentId, string FileName, string Pattern, Guid? PartId, DateTime CreatedUtc, DateTime? ConfirmedUtc,
    IReadOnlyList<BatchEntryState> Entries, BatchProgress Progress)
{
    public bool IsConfirmed => ConfirmedUtc is not null;
}
