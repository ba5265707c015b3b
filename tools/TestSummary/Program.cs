using WebGen.Tools.TestSummary;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: webgen-testsummary RESULTS_FOLDER   (the folder of .trx files that dotnet test --logger trx wrote)");
    return 2;
}
return TrxSummary.Print(args[0], Console.Out, Console.Error);
