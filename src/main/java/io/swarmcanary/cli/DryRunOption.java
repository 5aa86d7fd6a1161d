package io.swarmcanary.cli;

import picocli.CommandLine.Option;

/** --dry-run for a mutating command: one read of the cluster, the plan printed, nothing changed. */
public final class DryRunOption {
    @Option(names = "--dry-run", negatable = false,
            description = "Read the cluster, check the input and print the plan (text, or JSON with --output json); change nothing. Bad input is still exit 2.")
    boolean dryRun;
}
