package io.swarmcanary.swarm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.transport.DockerHttpClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Follows the engine's event stream ({@code GET /events}) for some object types and calls {@code onChange} at every
 * event, and at every (re)connect too: events sent while the stream was down are lost, so the caller re-reads.
 * A stream that breaks is opened again (1 s, doubling to 30 s, while the engine refuses); one that idles past the
 * connection's response timeout is opened again at once, quietly. Swarm sends no event for a task: callers still poll
 * tasks.
 */
public final class SwarmEvents implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final DockerConnection docker;
    private final String path;
    private final List<String> types;
    private final Runnable onChange;
    private final Consumer<String> log;
    private final Thread thread;
    private volatile boolean closed;
    private volatile DockerHttpClient.Response current;

    private SwarmEvents(DockerConnection docker, List<String> types, Runnable onChange, Consumer<String> log) {
        this.docker = docker;
        this.types = List.copyOf(types);
        this.path = "/events?filters=" + URLEncoder.encode(JSON.valueToTree(Map.of("type", types)).toString(), StandardCharsets.UTF_8);
        this.onChange = onChange;
        this.log = log;
        this.thread = new Thread(this::run, "swarm-events");
        thread.setDaemon(true);
    }

    /** Starts following on a thread of its own; {@code types} as the Engine API names them (service, secret, node, ...). */
    public static SwarmEvents follow(DockerConnection docker, List<String> types, Runnable onChange, Consumer<String> log) {
        SwarmEvents events = new SwarmEvents(docker, types, onChange, log);
        events.thread.start();
        return events;
    }

    private void run() {
        Duration backoff = Duration.ofSeconds(1);
        String trouble = null;
        boolean first = true;
        while (!closed) {
            try (DockerHttpClient.Response response = docker.http().execute(DockerHttpClient.Request.builder()
                    .method(DockerHttpClient.Request.Method.GET).path(docker.apiPrefix() + path).build())) {
                current = response;
                if (response.getStatusCode() != 200) {
                    throw new IllegalStateException("the engine answered HTTP " + response.getStatusCode());
                }
                if (trouble != null || first) {
                    log.accept((first ? "following" : "following again") + " the engine's events: " + String.join(", ", types));
                    trouble = null;
                    first = false;
                }
                backoff = Duration.ofSeconds(1);
                onChange.run(); // whatever happened while no stream was open
                BufferedReader lines = new BufferedReader(new InputStreamReader(response.getBody(), StandardCharsets.UTF_8));
                for (String line = lines.readLine(); line != null && !closed; line = lines.readLine()) {
                    if (!line.isBlank()) {
                        onChange.run();
                    }
                }
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                if (timedOut(e)) {
                    continue; // nothing happened for as long as the connection waits for an answer: open it again
                }
                String why = e.getClass().getSimpleName() + ": " + e.getMessage();
                if (!why.equals(trouble)) {
                    log.accept("cannot follow the engine's events (" + why + "): trying again, reads go on meanwhile");
                    trouble = why;
                }
                try {
                    Thread.sleep(backoff.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            } finally {
                current = null;
            }
        }
    }

    private static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        DockerHttpClient.Response response = current;
        if (response != null) {
            try {
                response.close(); // unblocks the read
            } catch (Exception ignored) {
                // closing anyway
            }
        }
    }
}
