using WebGen.Cli;

return await Commands.RunAsync(args);
