package io.unum.api.units;

import java.util.Locale;

/** Sizes as people type them on command lines: {@code 536870912}, {@code 512M}, {@code 2g}, {@code 64K}. */
public final class ByteSize {
    private ByteSize() {
    }

    /**
     * The number of bytes {@code s} names: a whole number of bytes, or one followed by K, M or G
     * (binary units, either case). Blank means 0, which callers read as "no limit".
     *
     * @throws IllegalArgumentException naming what was expected
     */
    public static long parse(String s) {
        if (s == null || s.isBlank()) {
            return 0;
        }
        String t = s.trim().toUpperCase(Locale.ROOT);
        int shift = switch (t.charAt(t.length() - 1)) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            default -> 0;
        };
        try {
            long n = Long.parseLong(shift == 0 ? t : t.substring(0, t.length() - 1));
            if (n >= 0 && n <= (Long.MAX_VALUE >> shift)) {
                return n << shift;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("'" + s + "' is not a size: expected bytes, or a whole number with K, M or G");
    }
}
