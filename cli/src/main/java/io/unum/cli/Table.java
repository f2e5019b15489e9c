package io.unum.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain text table like ps prints: a header row, columns two spaces apart, numeric columns
 * right-aligned, a left-aligned last column never padded (so it may run to the terminal's edge).
 */
final class Table {
    private final String[] headers;
    private final boolean[] rightAligned;
    private final List<String[]> rows = new ArrayList<>();

    /** Headers ending in '>' (stripped) are right-aligned, e.g. {@code "PID>"}. */
    Table(String... headers) {
        this.headers = new String[headers.length];
        this.rightAligned = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            boolean right = headers[i].endsWith(">");
            this.headers[i] = right ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
            this.rightAligned[i] = right;
        }
    }

    Table add(String... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException("expected " + headers.length + " cells, got " + cells.length);
        }
        rows.add(cells.clone());
        return this;
    }

    int size() {
        return rows.size();
    }

    /** Width of everything before the last column, separators included. */
    int widthBeforeLast() {
        int[] w = widths();
        int total = 0;
        for (int i = 0; i < w.length - 1; i++) {
            total += w[i] + 2;
        }
        return total;
    }

    /** The rendered lines, each ending with a newline. */
    String render() {
        return render(Integer.MAX_VALUE);
    }

    /**
     * The rendered lines, the last column cut so that no line is wider than {@code maxWidth}
     * (the last column keeps at least {@value #MIN_LAST} characters).
     */
    String render(int maxWidth) {
        int[] w = widths();
        long room = Math.max((long) maxWidth - widthBeforeLast(), MIN_LAST);
        StringBuilder sb = new StringBuilder();
        line(sb, headers, w);
        for (String[] row : rows) {
            String[] cut = row.clone();
            int last = cut.length - 1;
            if (cut[last].length() > room) {
                cut[last] = cut[last].substring(0, (int) room);
            }
            line(sb, cut, w);
        }
        return sb.toString();
    }

    private static final int MIN_LAST = 7;

    private int[] widths() {
        int[] w = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            w[i] = headers[i].length();
        }
        for (String[] row : rows) {
            // A left-aligned last column is never padded, so its width does not matter (and may be cut).
            int counted = rightAligned[row.length - 1] ? row.length : row.length - 1;
            for (int i = 0; i < counted; i++) {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        return w;
    }

    private void line(StringBuilder sb, String[] cells, int[] w) {
        int start = sb.length();
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            String pad = last && !rightAligned[i] ? "" : " ".repeat(w[i] - cells[i].length());
            if (rightAligned[i]) {
                sb.append(pad).append(cells[i]);
            } else {
                sb.append(cells[i]);
                if (!last) {
                    sb.append(pad);
                }
            }
            if (!last) {
                sb.append("  ");
            }
        }
        // Trailing blanks of a left-aligned empty last cell.
        int end = sb.length();
        while (end > start && sb.charAt(end - 1) == ' ') {
            end--;
        }
        sb.setLength(end);
        sb.append('\n');
    }
}
