namespace WebGen.WebApp.Security;

/// <summary>
/// The addresses the guards treat apart (scripts' API and hub, sign-in forms). The features map their endpoints at
/// these, so the guards know them without depending on the features.
/// </summary>
public static class AppPaths
{
    public const string Api = "/api";
    public const string RunsHub = "/hubs/runs";
    public const string Login = "/account/login";
    public const string Logout = "/account/logout";
    public const string Register = "/account/register";
    public const string Denied = "/account/denied";
}
