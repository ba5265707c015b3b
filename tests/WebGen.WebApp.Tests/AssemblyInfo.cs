// Each test class hosts the whole app, and runs train on the CPU: side by side they would only fight over the two
// cores, and WebApplicationFactory<Program> starts hosts through a process-wide listener that concurrent starts share.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
