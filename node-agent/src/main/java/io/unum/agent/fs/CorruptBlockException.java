package io.unum.agent.fs;

/** A block's bytes do not match the length or checksum it was stored or committed with. */
public final class CorruptBlockException extends Exception {
    private final String blockId;

    public CorruptBlockException(String blockId, String detail) {
        super("block " + blockId + " is corrupt: " + detail);
        this.blockId = blockId;
    }

    public String blockId() {
        return blockId;
    }
}
