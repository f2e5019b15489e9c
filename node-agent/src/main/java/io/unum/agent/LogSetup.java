package io.unum.agent;

import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** java.util.logging to stderr, one line per event: the launcher and tests grep these lines. */
public final class LogSetup {

    private LogSetup() {
    }

    private static final java.time.format.DateTimeFormatter TIME =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(java.time.ZoneId.systemDefault());

    public static void configure() {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler h = new ConsoleHandler(); // writes to System.err
        h.setLevel(Level.ALL);
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String msg = formatMessage(r).replace('\n', ' ');
                String thrown = r.getThrown() == null ? "" : " [" + r.getThrown() + "]";
                String logger = r.getLoggerName() == null ? "" : r.getLoggerName();
                // A formatter, not String.format's %t: that builds a calendar per line, a visible
                // share of an agent's CPU when it starts hundreds of processes a second.
                return TIME.format(r.getInstant()) + " " + r.getLevel() + " " + logger.substring(logger.lastIndexOf('.') + 1)
                        + ": " + msg + thrown + System.lineSeparator();
            }
        });
        root.addHandler(h);
        root.setLevel(Level.INFO);
        // grpc-java logs connection noise at INFO/FINE; warnings are what matter there.
        Logger.getLogger("io.grpc").setLevel(Level.WARNING);
    }
}
