using WebGen.WebApp.Accounts;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Who may see a run: its owner and instructors (everyone is both in single mode). The explorers also show every
/// student the demo models, completed runs an instructor marked for the class.
/// </summary>
public static class RunAccess
{
    extension(Viewer viewer)
    {
        public bool MaySee(RunState run) => viewer.MaySeeOwnedBy(run.OwnerId);

        /// <summary>Whether the explorers may open the run's model for <paramref name="viewer"/>: one they may see, or a demo model.</summary>
        public bool MayExplore(RunState run) => viewer.MaySee(run) || (run.IsDemo && run.Status == Data.RunStatus.Completed);

        /// <summary>The message the API, the hub and the pages give for another student's run.</summary>
        public static string NotYours(Guid runId) => $"Run {runId} belongs to another student: students see, watch and cancel only their own runs.";
    }
}
