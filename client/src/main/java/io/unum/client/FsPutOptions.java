package io.unum.client;

/**
 * How {@link UnumClient#fsUpload} writes a file: mode in octal ("0644"; null: the server's
 * default), replicas (null: the parent directory's goal), parents makes missing directories, and
 * overwrite false refuses (409) to replace an existing file.
 */
public record FsPutOptions(String mode, Integer replicas, boolean parents, boolean overwrite) {

    /** The server's mode, the parent's goal, no parents made, an existing file replaced. */
    public static FsPutOptions defaults() {
        return new FsPutOptions(null, null, false, true);
    }
}
