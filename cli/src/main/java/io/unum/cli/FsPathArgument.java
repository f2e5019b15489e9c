package io.unum.cli;

import io.unum.api.fs.FsLayout;
import io.unum.api.fs.FsPath;
import io.unum.api.fs.InvalidFsPathException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A PATH of {@code unum fs}: the tree path ({@code /data/x}) or the same file as a program on a
 * node sees it ({@code /unum/fs/data/x}), so that a path copied from a shell works as it is. A
 * bad path is a usage error with {@link FsPath}'s message.
 */
final class FsPathArgument implements ITypeConverter<FsPath> {
    private static final String MOUNT = FsLayout.DEFAULT_MOUNT_POINT;

    @Override
    public FsPath convert(String value) {
        try {
            return parse(value);
        } catch (InvalidFsPathException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** @throws InvalidFsPathException naming what is wrong */
    static FsPath parse(String value) {
        return FsPath.parse(value.equals(MOUNT) ? "/" : value.startsWith(MOUNT + "/") ? value.substring(MOUNT.length()) : value);
    }
}
