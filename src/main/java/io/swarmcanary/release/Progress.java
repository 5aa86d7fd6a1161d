package io.swarmcanary.release;

import java.io.PrintStream;

/** Where long waits report: a line that rewrites itself on a terminal, plain lines (only on change) in a log. */
public interface Progress {
    void info(String line);

    void waiting(String status);

    void done();

    Progress SILENT = new Progress() {
        @Override public void info(String line) {}
        @Override public void waiting(String status) {}
        @Override public void done() {}
    };

    static Progress to(PrintStream out, boolean terminal) {
        return new Progress() {
            private String last = "";

            @Override
            public void info(String line) {
                done();
                out.println(line);
            }

            @Override
            public void waiting(String status) {
                if (status.equals(last)) {
                    return;
                }
                if (terminal) {
                    out.print("\r\033[K" + status);
                    out.flush();
                } else {
                    out.println(status);
                }
                last = status;
            }

            @Override
            public void done() {
                if (terminal && !last.isEmpty()) {
                    out.println();
                }
                last = "";
            }
        };
    }
}
