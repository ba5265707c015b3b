using WebGen.WebApp.Accounts;

namespace WebGen.WebApp.Runs;

/// <summary>Who may see a run: its owner and instructors (everyone is both in single mode).</summary>
public static class RunAccess
{
    extension(Viewer viewer)
    {
        public bool MaySee(RunState run) => viewer.MaySeeOwnedBy(run.OwnerId);

        /// <summary>The message the API, the hub and the pages give for another student's run.</summary>
        public static string NotYours(Guid runId) => $"Run {runId} belongs to another student: students see, watch and cancel only their own runs.";
    }
}
