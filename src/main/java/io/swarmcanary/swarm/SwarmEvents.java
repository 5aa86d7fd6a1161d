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
 * Follows the engine's event stream ({@code GET /events}) for some object types: {@link Listener#changed()} at every
 * event, and {@link Listener#following(boolean)} as a stream opens (events sent while none was open are lost, so the
 * listener re-reads) and ends. A stream that breaks, is refused or ends within seconds is opened again after a pause
 * (1 s, doubling to 30 s); one that idled past a TCP connection's response timeout at once, quietly. Swarm sends no
 * event for a task: listeners still poll tasks.
 */
public final class SwarmEvents implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** A stream that ends sooner than this (a proxy closing it) is opened again only after a pause. */
    private static final Duration SHORT_STREAM = Duration.ofSeconds(5);

    /** What the events tell. Called on the follower's own thread. */
    public interface Listener {
        /** An event came. */
        void changed();

        /** A stream is open (true: whatever happened while none was open is unknown) or has ended (false). */
        void following(boolean following);
    }

    private final DockerConnection docker;
    private final List<String> types;
    private final String path;
    private final Listener listener;
    private final Consumer<String> log;
    private final Thread thread;
    private volatile boolean closed;
    private volatile DockerHttpClient.Response current;

    private SwarmEvents(DockerConnection docker, List<String> types, Listener listener, Consumer<String> log) {
        this.docker = docker;
        this.types = List.copyOf(types);
        this.path = "/events?filters=" + URLEncoder.encode(JSON.valueToTree(Map.of("type", types)).toString(), StandardCharsets.UTF_8);
        this.listener = listener;
        this.log = log;
        this.thread = new Thread(this::run, "swarm-events");
        thread.setDaemon(true);
    }

    /** Starts following on a thread of its own; {@code types} as the Engine API names them (service, config, node, ...). */
    public static SwarmEvents follow(DockerConnection docker, List<String> types, Listener listener, Consumer<String> log) {
        SwarmEvents events = new SwarmEvents(docker, types, listener, log);
        events.thread.start();
        return events;
    }

    /** Whether the follower still runs (it stops only when closed, or on an error it cannot go on from, which it logs). */
    public boolean running() {
        return thread.isAlive();
    }

    private void run() {
        try {
            Duration backoff = Duration.ofSeconds(1);
            String trouble = null;
            boolean first = true;
            while (!closed) {
                long opened = 0;
                boolean streaming = false;
                String why = null;
                try (DockerHttpClient.Response response = docker.http().execute(DockerHttpClient.Request.builder()
                        .method(DockerHttpClient.Request.Method.GET).path(docker.apiPrefix() + path).build())) {
                    current = response;
                    if (closed) {
                        return;
                    }
                    if (response.getStatusCode() != 200) {
                        throw new IllegalStateException("the engine answered HTTP " + response.getStatusCode());
                    }
                    streaming = true;
                    opened = System.nanoTime();
                    if (trouble != null || first) {
                        log.accept((first ? "following" : "following again") + " the engine's events: " + String.join(", ", types));
                        trouble = null;
                        first = false;
                    }
                    listener.following(true);
                    BufferedReader lines = new BufferedReader(new InputStreamReader(response.getBody(), StandardCharsets.UTF_8));
                    for (String line = lines.readLine(); line != null && !closed; line = lines.readLine()) {
                        if (!line.isBlank()) {
                            listener.changed();
                        }
                    }
                    why = "the engine ended the event stream";
                } catch (Exception e) {
                    if (closed) {
                        return;
                    }
                    // an open stream that idled past the response timeout is no trouble; a connect or header timeout is
                    why = streaming && timedOut(e) ? null : e.getClass().getSimpleName() + ": " + e.getMessage();
                } finally {
                    current = null;
                    if (streaming) {
                        listener.following(false);
                    }
                }
                boolean shortLived = !streaming || System.nanoTime() - opened < SHORT_STREAM.toNanos();
                if (why != null && shortLived && !why.equals(trouble)) {
                    log.accept("cannot follow the engine's events (" + why + "): trying again; meanwhile every poll reads the"
                            + " whole edge");
                    trouble = why;
                }
                if (shortLived) {
                    Thread.sleep(backoff.toMillis());
                    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                } else {
                    backoff = Duration.ofSeconds(1);
                }
            }
        } catch (InterruptedException closing) {
            // closed while pausing
        } catch (Throwable t) {
            log.accept("stopped following the engine's events: " + t + "; every poll reads the whole edge from now on");
            listener.following(false);
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
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
