using Microsoft.AspNetCore.Components.Forms;
using WebGen.Compute.Images;
using WebGen.Shared;

namespace WebGen.WebApp.Explorers;

/// <summary>
/// The explorers' one way to take a picture from the browser (the style explorer's upload and the interpolation's
/// ends): refused by its announced size before a byte is read, then read up to <see cref="ImageInput.MaxBytes"/>;
/// <see cref="ImageInput"/> then checks and decodes it.
/// </summary>
public static class PictureUpload
{
    /// <summary>The file picker's choice: the picture formats <see cref="ImageInput"/> decodes.</summary>
    public const string Accept = ".png,.jpg,.jpeg,.gif,.bmp,.webp";

    /// <summary>The file's bytes; an <see cref="InvalidDataException"/> naming its size and the limit when it is too large.</summary>
    public static async Task<byte[]> ReadAsync(IBrowserFile file, CancellationToken cancellationToken = default)
    {
        if (file.Size > ImageInput.MaxBytes)
            throw new InvalidDataException($"the picture is {ByteSize.Describe(file.Size)}; pictures up to {ByteSize.Describe(ImageInput.MaxBytes)} are accepted.");
        using var buffer = new MemoryStream();
        await file.OpenReadStream(ImageInput.MaxBytes, cancellationToken).CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
