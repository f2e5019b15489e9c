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
                return String.format("%1$tF %1$tT.%1$tL %2$s %3$s: %4$s%5$s%n", r.getMillis(), r.getLevel(),
                        logger.substring(logger.lastIndexOf('.') + 1), msg, thrown);
            }
        });
        root.addHandler(h);
        root.setLevel(Level.INFO);
        // grpc-java logs connection noise at INFO/FINE; warnings are what matter there.
        Logger.getLogger("io.grpc").setLevel(Level.WARNING);
    }
}
