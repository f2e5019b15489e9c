package io.unum.cli;

import io.unum.client.TransferProgress;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * One status line on stderr, redrawn in place with a carriage return: a bar when the total is
 * known, a spinner while it is not. stdout stays free for results that scripts read.
 */
final class ProgressBar {
    private static final int WIDTH = 24;
    private static final String SPIN = "|/-\\";
    /** A transfer reports every buffer; a terminal needs far fewer redraws. */
    private static final long TRANSFER_REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final long startNanos = System.nanoTime();
    private int frame;
    private int lastLength;
    private long lastTransferDraw = startNanos - TRANSFER_REDRAW_NANOS;

    ProgressBar(PrintWriter err) {
        this.err = err;
    }

    /** Draws "label [#####-----]  45%  12.3M/34.0M". */
    void bar(String label, long done, long total) {
        int filled = total <= 0 ? 0 : (int) Math.min(WIDTH, done * WIDTH / total);
        int percent = total <= 0 ? 0 : (int) Math.min(100, done * 100 / total);
        draw(String.format(Locale.ROOT, "%-13s [%s%s] %3d%%  %s/%s", label, "#".repeat(filled), "-".repeat(WIDTH - filled),
                percent, Format.bytes(done), Format.bytes(total)));
    }

    /**
     * This bar as an upload's or a download's progress: redrawn at most every 100 ms, a spinner
     * while the size is not known. The client calls it from its own thread, hence the locking.
     */
    TransferProgress transfer(String label) {
        return (done, total) -> {
            synchronized (this) {
                long now = System.nanoTime();
                if (now - lastTransferDraw < TRANSFER_REDRAW_NANOS && done != total) {
                    return;
                }
                lastTransferDraw = now;
                if (total >= 0) {
                    bar(label, done, total);
                } else {
                    spin(label);
                }
            }
        };
    }

    /** Draws "label |  1.2s". */
    void spin(String label) {
        frame = (frame + 1) % SPIN.length();
        draw(String.format(Locale.ROOT, "%-13s %c %5.1fs", label, SPIN.charAt(frame), elapsedSeconds()));
    }

    double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Clears the line so that the next output starts clean. */
    synchronized void done() {
        if (lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
            lastLength = 0;
        }
    }

    private void draw(String line) {
        String padded = line.length() < lastLength ? line + " ".repeat(lastLength - line.length()) : line;
        err.print("\r" + padded);
        err.flush();
        lastLength = line.length();
    }
}
