package io.swarmcanary.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmcanary.release.Progress;
import java.io.PrintStream;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** Shared output flags: text for people, JSON for machines (pipelines parse stdout; progress goes to stderr). */
public final class Output {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public enum Format { text, json }

    @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "FORMAT",
            description = "text (default) or json: one JSON document on stdout, progress on stderr.")
    Format format = Format.text;

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
    boolean quiet;

    public boolean json() {
        return format == Format.json;
    }

    public Progress progress() {
        if (quiet) {
            return Progress.SILENT;
        }
        PrintStream err = System.err;
        // rewrite one line on a terminal; plain lines in a CI log
        return Progress.to(err, System.console() != null && System.getenv("CI") == null);
    }

    public void printJson(PrintWriter out, Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
            out.flush();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One result or plan: its JSON, or its lines of text. */
    public void print(PrintWriter out, Object value, java.util.List<String> text) {
        if (json()) {
            printJson(out, value);
        } else {
            text.forEach(out::println);
            out.flush();
        }
    }

    void printError(PrintWriter out, Exception ex, int code) {
        ObjectNode error = JSON.createObjectNode();
        error.putObject("error").put("message", message(ex)).put("exitCode", code)
                .put("kind", code == 2 ? "bad-input" : code == 3 ? "conflict" : "failed");
        printJson(out, error);
    }

    static String message(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                    || (t instanceof java.net.SocketException && String.valueOf(t.getMessage()).contains("No such file"))) {
                String host = System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
                return "cannot reach the Docker engine at " + host + " (" + t.getMessage() + "); start dockerd, or set"
                        + " DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as for the docker CLI. Nothing was changed.";
            }
        }
        String m = ex.getMessage();
        StringBuilder all = new StringBuilder(m == null || m.isBlank() ? ex.getClass().getSimpleName() : m);
        // what went wrong on the way back (a change not put back) matters as much as the failure itself
        for (Throwable also : ex.getSuppressed()) {
            all.append("\nalso: ").append(also.getMessage() == null ? also.getClass().getSimpleName() : also.getMessage());
        }
        return all.toString();
    }
}
