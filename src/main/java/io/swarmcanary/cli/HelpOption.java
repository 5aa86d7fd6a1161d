package io.swarmcanary.cli;

import picocli.CommandLine.Option;

/** -h/--help for subcommands; they cannot take picocli's standard -V/--version because deploy uses --version. */
public final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;
}
