package io.unum.cli;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.Signals;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/** How the CLI renders sizes, times, states and command lines. */
final class Format {
    private static final String[] UNITS = {"K", "M", "G", "T", "P", "E"};
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd");

    private Format() {
    }

    /** Binary-prefixed size like ps/top: 512B, 1.5K, 23.4G; "-" for null or negative. */
    static String bytes(Long bytes) {
        if (bytes == null || bytes < 0) {
            return "-";
        }
        if (bytes < 1024) {
            return bytes + "B";
        }
        double v = bytes;
        int unit = -1;
        while (v >= 1024 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        // 1023.96K would print as "1024.0K"; carry it to the next unit.
        if (Math.round(v * 10) >= 10240 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f%s", v, UNITS[unit]);
    }

    /** One decimal, or "-" for null. */
    static String decimal(Double value, int digits) {
        return value == null ? "-" : String.format(Locale.ROOT, "%." + digits + "f", value);
    }

    /** HH:MM:SS when {@code at} is today in {@code zone}, else YYYY-MM-DD; "-" for null. */
    static String start(Instant at, Instant now, ZoneId zone) {
        if (at == null) {
            return "-";
        }
        LocalDate day = at.atZone(zone).toLocalDate();
        return day.equals(now.atZone(zone).toLocalDate())
                ? TIME.format(at.atZone(zone))
                : DATE.format(at.atZone(zone));
    }

    /** RUNNING, PENDING, LOST, FAILED, EXITED(3), EXITED(SIGTERM). */
    static String state(ProcessInfo p) {
        if (p.state() == null) {
            return "?";
        }
        return switch (p.state()) {
            case PENDING, RUNNING, FAILED, LOST -> p.state().name();
            case EXITED -> p.exitSignal() != null
                    ? "EXITED(" + signalName(p.exitSignal()) + ")"
                    : p.exitCode() != null ? "EXITED(" + p.exitCode() + ")" : "EXITED";
        };
    }

    /** "SIGTERM" for 15, "SIG34" for a real-time signal. */
    static String signalName(int number) {
        return "SIG" + Signals.name(number);
    }

    /**
     * argv joined with spaces (arguments with spaces or nothing in them quoted); control characters
     * such as newlines are shown escaped so one process stays one table row.
     */
    static String command(List<String> argv) {
        if (argv == null || argv.isEmpty()) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            String shown = a.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
            sb.append(a.isEmpty() || a.chars().anyMatch(Character::isWhitespace) ? "'" + shown + "'" : shown);
        }
        return sb.toString();
    }

    /** {@code s} cut to {@code width} characters (at least 1), never longer. */
    static String truncate(String s, int width) {
        int w = Math.max(1, width);
        return s.length() <= w ? s : s.substring(0, w);
    }

    /** "-" for null or blank. */
    static String orDash(String s) {
        return s == null || s.isBlank() ? "-" : s;
    }
}
