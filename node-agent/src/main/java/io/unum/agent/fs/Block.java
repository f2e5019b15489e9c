package io.unum.agent.fs;

import java.util.zip.CRC32C;

/** A block's bytes with the length and CRC-32C they must match; ids and checks in one place. */
public record Block(String id, byte[] data, int crc32c) {

    /** Wider than the control plane's ids ("<ino>-<index>-<random>"), never a path: no '/', no leading '.'. */
    private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");

    public static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a block id: '" + (id == null ? "" : id.replaceAll("\\p{Cntrl}", "?")) + "'");
        }
    }

    public static int crc(byte[] data, int length) {
        CRC32C c = new CRC32C();
        c.update(data, 0, length);
        return (int) c.getValue();
    }

    /** Throws CorruptBlockException unless data holds exactly length bytes whose CRC-32C is crc32c. */
    public static Block verified(String id, byte[] data, long length, int crc32c) throws CorruptBlockException {
        if (data.length != length) {
            throw new CorruptBlockException(id, "holds " + data.length + " bytes, expected " + length);
        }
        int actual = crc(data, data.length);
        if (actual != crc32c) {
            throw new CorruptBlockException(id, String.format("CRC-32C %08x, expected %08x", actual, crc32c));
        }
        return new Block(id, data, crc32c);
    }

    public int length() {
        return data.length;
    }

    @Override
    public String toString() {
        return "block " + id + " (" + data.length + " bytes)";
    }
}
