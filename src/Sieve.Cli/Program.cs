return Sieve.Cli.SieveCli.Run(args);
