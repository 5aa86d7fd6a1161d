package io.swarmcanary.envoy;

import java.util.List;
import java.util.stream.Collectors;

/** What is wrong with an Envoy config; no problems means it may be applied. */
public record ValidationResult(List<Problem> problems) {
    public ValidationResult {
        problems = List.copyOf(problems);
    }

    /**
     * One problem.
     *
     * @param path where, in YAML keys and list indexes: {@code static_resources.clusters[2].name};
     *             {@code $} for the document as a whole
     */
    public record Problem(String path, String message) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

    public boolean isValid() {
        return problems.isEmpty();
    }

    /** One problem per line, for logs and error messages. */
    public String describe() {
        return isValid() ? "valid" : problems.stream().map(Problem::toString).collect(Collectors.joining("\n"));
    }
}
