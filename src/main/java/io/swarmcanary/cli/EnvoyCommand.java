package io.swarmcanary.cli;

import io.swarmcanary.envoy.EnvoyConfigValidator;
import io.swarmcanary.envoy.ValidationResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "envoy", description = "Look at Envoy configs: render the edge's from the cluster, or validate one.",
        subcommands = {EnvoyCommand.Render.class, EnvoyCommand.Validate.class})
public final class EnvoyCommand {
    @Mixin HelpOption help;

    @Command(name = "render", description = "Print the Envoy config the edge gets from the cluster as it is now.",
            footer = {"", "Example:", "  swarm-canary envoy render --edge envoy > envoy.yaml && envoy --mode validate -c envoy.yaml"})
    static final class Render implements Callable<Integer>, SwarmCanary.JsonErrors {
        @Spec CommandSpec spec;
        @Mixin Output output;
        @Mixin HelpOption help;
        @Mixin EdgeOptions edgeOptions;

        @Override
        public Output output() {
            return output;
        }

        @Override
        public Integer call() {
            try (Cluster cluster = CommandContext.of(spec).connect()) {
                var plan = edgeOptions.operations(cluster).edges().currentPlan(edgeOptions.edge);
                PrintWriter out = spec.commandLine().getOut();
                if (output.json()) {
                    output.printJson(out, Map.of("edge", edgeOptions.edge, "revision", plan.revision(), "yaml", plan.yaml(),
                            "warnings", plan.warnings()));
                } else {
                    out.print(plan.yaml());
                    out.flush();
                }
                return 0;
            }
        }
    }

    @Command(name = "validate",
            description = {"Check an Envoy bootstrap: parsed into Envoy's v3 protobuf types, plus the rules protobuf",
                "does not check (weights, known clusters, ports, names, domains). Exit 0 valid, 2 invalid."},
            footer = {"", "Example:", "  swarm-canary envoy validate my-envoy-template.yaml"})
    static final class Validate implements Callable<Integer>, SwarmCanary.JsonErrors {
        @Spec CommandSpec spec;
        @Mixin Output output;
        @Mixin HelpOption help;

        @Parameters(paramLabel = "FILE", description = "The YAML file to check.")
        Path file;

        @Override
        public Output output() {
            return output;
        }

        @Override
        public Integer call() throws IOException {
            if (!Files.isRegularFile(file)) {
                throw new io.swarmcanary.UserInputException(file + " does not exist");
            }
            ValidationResult result = new EnvoyConfigValidator().validate(Files.readString(file));
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                output.printJson(out, Map.of("file", file.toString(), "valid", result.isValid(), "problems", result.problems()));
            } else if (result.isValid()) {
                out.println(file + ": valid");
            } else {
                spec.commandLine().getErr().println(file + ": invalid");
                spec.commandLine().getErr().println(result.describe());
            }
            return result.isValid() ? 0 : SwarmCanary.EXIT_BAD_INPUT;
        }
    }
}
