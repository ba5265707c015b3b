using Hangfire.Logging;
using HangfireLevel = Hangfire.Logging.LogLevel;
using MicrosoftLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Hangfire's log, into this host's ILogger. Hangfire keeps one log provider for the whole process; where several
/// hosts share a process (the tests) one may be disposed while another host's jobs still log, and then Hangfire's
/// lines are dropped rather than its storage failing to start.
/// </summary>
internal sealed class HangfireLogs(ILoggerFactory loggers) : ILogProvider
{
    public ILog GetLogger(string name)
    {
        try
        {
            return new HostLog(loggers.CreateLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return new HostLog(null);
        }
    }

    private sealed class HostLog(ILogger? logger) : ILog
    {
        public bool Log(HangfireLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            if (logger is null)
                return false;
            var level = logLevel switch
            {
                HangfireLevel.Trace => MicrosoftLogLevel.Trace,
                HangfireLevel.Debug => MicrosoftLogLevel.Debug,
                HangfireLevel.Info => MicrosoftLogLevel.Information,
                HangfireLevel.Warn => MicrosoftLogLevel.Warning,
                HangfireLevel.Error => MicrosoftLogLevel.Error,
                _ => MicrosoftLogLevel.Critical,
            };
            try
            {
                if (messageFunc is null)
                    return logger.IsEnabled(level); // Hangfire asks whether a level is on
                logger.Log(level, exception, "{Message}", messageFunc());
                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
