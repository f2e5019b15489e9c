package io.unum.api.fs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A path inside the cluster file system's tree, as every caller must spell it: absolute, with no
 * "." or ".." component, no empty component, no NUL, each name at most 255 bytes and the whole
 * at most 4096 (Linux's NAME_MAX and PATH_MAX). Paths from users are checked here once, by the
 * server, the agent and the CLI alike, so that no ".." trick reaches etcd keys or block files.
 */
public final class FsPath {

    public static final int NAME_MAX = 255;
    public static final int PATH_MAX = 4096;
    public static final FsPath ROOT = new FsPath(List.of());

    private final List<String> names;

    private FsPath(List<String> names) {
        this.names = List.copyOf(names);
    }

    /**
     * The path inside the tree. A path that starts with the mount point (the CLI passes what a user
     * typed, e.g. "/unum/fs/data") is not special here: callers strip the mount point first.
     *
     * @throws InvalidFsPathException naming what is wrong, for a 400 / EINVAL / ENAMETOOLONG
     */
    public static FsPath parse(String path) {
        if (path == null || path.isEmpty()) {
            throw new InvalidFsPathException(false, "a path is required: an absolute path inside the tree, e.g. /data/a.txt");
        }
        if (!path.startsWith("/")) {
            throw new InvalidFsPathException(false, "path '" + printable(path) + "' is not absolute: it must start with /");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > PATH_MAX) {
            throw new InvalidFsPathException(true, "path is longer than " + PATH_MAX + " bytes");
        }
        if (path.indexOf('\0') >= 0) {
            throw new InvalidFsPathException(false, "path contains a NUL character");
        }
        List<String> names = new ArrayList<>();
        String[] parts = path.split("/", -1);
        for (int i = 1; i < parts.length; i++) {
            String name = parts[i];
            if (name.isEmpty()) {
                if (i == parts.length - 1) {
                    break; // one trailing slash, as in "/data/"
                }
                throw new InvalidFsPathException(false, "path '" + printable(path) + "' has an empty component (//)");
            }
            checkName(name);
            names.add(name);
        }
        return new FsPath(names);
    }

    /** One directory entry's name. */
    public static void checkName(String name) {
        if (name.equals(".") || name.equals("..")) {
            throw new InvalidFsPathException(false, "'" + name + "' is not allowed as a path component");
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new InvalidFsPathException(false, "a name may not contain / or NUL");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
            throw new InvalidFsPathException(true, "name '" + printable(name.substring(0, 40)) + "…' is longer than "
                    + NAME_MAX + " bytes");
        }
    }

    public boolean isRoot() {
        return names.isEmpty();
    }

    public List<String> names() {
        return names;
    }

    /** The last name; "" for the root. */
    public String name() {
        return names.isEmpty() ? "" : names.get(names.size() - 1);
    }

    /** The directory holding this entry; the root is its own parent. */
    public FsPath parent() {
        return names.isEmpty() ? this : new FsPath(names.subList(0, names.size() - 1));
    }

    public FsPath child(String name) {
        checkName(name);
        List<String> more = new ArrayList<>(names);
        more.add(name);
        return new FsPath(more);
    }

    /** Whether this path is other or lies below it. */
    public boolean isWithin(FsPath other) {
        return names.size() >= other.names.size() && names.subList(0, other.names.size()).equals(other.names);
    }

    @Override
    public String toString() {
        return names.isEmpty() ? "/" : "/" + String.join("/", names);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FsPath p && p.names.equals(names);
    }

    @Override
    public int hashCode() {
        return names.hashCode();
    }

    private static String printable(String s) {
        return s.replaceAll("\\p{Cntrl}", "?");
    }
}
