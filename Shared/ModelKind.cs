namespace WebGen.Shared;

/// <summary>The homework's problems. Names match the reference codebase's model names.</summary>
public enum ModelKind
{
    Vae,
    Gmvae,
    Ssvae,
    Fsvae,
}
