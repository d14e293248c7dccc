return await Sieve.Cli.SieveCli.RunAsync(args);
