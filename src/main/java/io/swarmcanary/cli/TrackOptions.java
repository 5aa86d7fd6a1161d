package io.swarmcanary.cli;

import io.swarmcanary.release.Track;
import picocli.CommandLine.Option;

/** --app and --env of a command that works on one track (shift, promote, rollback, analyze, next). */
public final class TrackOptions {
    @Option(names = "--app", required = true, description = "Application, e.g. files.") String app;
    @Option(names = "--env", required = true, description = "Environment, e.g. webdev.") String env;

    /** The track, its names checked (bad input is exit 2 before anything is read). */
    public Track track() {
        return new Track(app, env);
    }
}
