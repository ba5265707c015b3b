namespace WebGen.Compute.Data;

/// <summary>The reference codebase's hand-picked index tables (protocol.md): positions among images of each digit.</summary>
public static class Subsets
{
    /// <summary>Rows of the first <paramref name="perDigit"/> images of each digit 0–9, in file order, digit-major.</summary>
    public static long[] FirstOfEachDigit(IReadOnlyList<long> labels, int perDigit) =>
        [.. Enumerable.Range(0, 10).SelectMany(d => Enumerable.Range(0, labels.Count).Where(i => labels[i] == d).Take(perDigit).Select(i => (long)i))];

    /// <summary>Test subset for NELBO and IWAE: 10 per digit (digit 5 lists 128 twice, so 99 distinct images).</summary>
    public static readonly int[][] TestIdx =
    [
        [684, 559, 629, 192, 835, 763, 707, 359, 9, 723],
        [277, 599, 1094, 600, 314, 705, 551, 87, 174, 849],
        [537, 845, 72, 777, 115, 976, 755, 448, 850, 99],
        [984, 177, 755, 797, 659, 147, 910, 423, 288, 961],
        [265, 697, 639, 544, 543, 714, 244, 151, 675, 510],
        [459, 882, 183, 28, 802, 128, 128, 53, 550, 488],
        [756, 273, 335, 388, 617, 42, 442, 543, 888, 257],
        [57, 291, 779, 430, 91, 398, 611, 908, 633, 84],
        [203, 324, 774, 964, 47, 639, 131, 972, 868, 180],
        [1000, 846, 143, 660, 227, 954, 791, 719, 909, 373],
    ];

    /// <summary>The SSVAE's 100 labelled training images: 10 per digit (digit 4 lists 2176 twice).</summary>
    public static readonly int[][] TrainIdx =
    [
        [2732, 2607, 1653, 3264, 4931, 4859, 5827, 1033, 4373, 5874],
        [5924, 3468, 6458, 705, 2599, 2135, 2222, 2897, 1701, 537],
        [2893, 2163, 5072, 4851, 2046, 1871, 2496, 99, 2008, 755],
        [797, 659, 3219, 423, 3337, 2745, 4735, 544, 714, 2292],
        [151, 2723, 3531, 2930, 1207, 802, 2176, 2176, 1956, 3622],
        [3560, 756, 4369, 4484, 1641, 3114, 4984, 4353, 4071, 4009],
        [2105, 3942, 3191, 430, 4187, 2446, 2659, 1589, 2956, 2681],
        [4180, 2251, 4420, 4870, 1071, 4735, 6132, 5251, 5068, 1204],
        [3918, 1167, 1684, 3299, 2767, 2957, 4469, 560, 5425, 1605],
        [5795, 1472, 3678, 256, 3762, 5412, 1954, 816, 2435, 1634],
    ];
}
