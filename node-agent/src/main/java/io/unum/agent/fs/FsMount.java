package io.unum.agent.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The tree mounted at a path of this node (its mount namespace). An agent killed with SIGKILL
 * leaves its FUSE mount behind, dead ("Transport endpoint is not connected"): the next agent
 * detaches it (lazy unmount) before mounting again.
 */
public final class FsMount implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FsMount.class.getName());
    /**
     * Attributes are asked for every time, so a change on another node is seen at the next call.
     * A name found is asked for again at each path walk (entry_timeout=0), which costs a control
     * plane call per component: trusted for a second, a name another node had just removed was
     * still opened here, and the kernel's permission check of it failed with ENOENT before the
     * open could answer ESTALE, so sqlite3 on two nodes failed to create its journal ("unable to
     * open database file", 1 run in 3). An absent name is trusted for a second: the kernel
     * revalidates an expired negative entry by dropping it, and when that raced a create of the same
     * name here (a stat while a program opened it with O_CREAT) it dropped the new file's entry, so
     * the open file read as "(deleted)" and CRIU refused to dump the program (2 tries in 12 by
     * hand). So a name made on another node may look absent here for up to a second (a create of
     * it without O_EXCL opens it).
     */
    private static final String[] OPTIONS = {"-o", String.join(",", List.of("allow_other", "default_permissions", "use_ino",
            "attr_timeout=0", "entry_timeout=0", "negative_timeout=1", "big_writes", "max_write=131072", "fsname=unum"))};
    private static final long MOUNT_SECONDS = 10;
    private static final long UNMOUNT_SECONDS = 5;

    private final Path mountPoint;
    private final UnumFuse fuse;

    private FsMount(Path mountPoint, UnumFuse fuse) {
        this.mountPoint = mountPoint;
        this.fuse = fuse;
    }

    /** Mounts fuse at mountPoint (created if missing), after clearing a dead mount left there. */
    public static FsMount mount(Path mountPoint, UnumFuse fuse) throws IOException {
        Path at = mountPoint.toAbsolutePath().normalize();
        if (mounted(at)) {
            if (!stale(at)) {
                throw new IOException(at + " is already mounted (by another process in this mount namespace)");
            }
            LOG.warning(at + " holds the dead mount of an earlier agent: detaching it");
            run("fusermount", "-u", "-z", at.toString());
        }
        Files.createDirectories(at);
        fuse.mount(at, false, false, OPTIONS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MOUNT_SECONDS);
        while (!mounted(at)) {
            if (System.nanoTime() > deadline) {
                fuse.umount();
                throw new IOException("the FUSE mount at " + at + " did not appear within " + MOUNT_SECONDS + " s");
            }
            sleep();
        }
        LOG.info("cluster file system mounted at " + at);
        return new FsMount(at, fuse);
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** Whether this mount namespace has a mount at path (/proc/self/mountinfo's fifth field, octal-escaped). */
    static boolean mounted(Path path) throws IOException {
        String escaped = path.toString().replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012");
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(escaped)) {
                return true;
            }
        }
        return false;
    }

    /** A FUSE mount whose daemon is gone answers stat with ENOTCONN. */
    private static boolean stale(Path path) {
        try {
            Files.readAttributes(path, "unix:ino");
            return false;
        } catch (IOException e) {
            return String.valueOf(e.getMessage()).contains("not connected");
        }
    }

    private static void run(String... command) throws IOException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the mount", e);
        }
    }

    /**
     * Unmounts: libfuse's own unmount, and a lazy one if the mount is still there after a while (a
     * program with a file open there keeps it busy).
     */
    @Override
    public void close() {
        fuse.umount();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(UNMOUNT_SECONDS);
            while (mounted(mountPoint)) {
                if (System.nanoTime() > deadline) {
                    run("fusermount", "-u", "-z", mountPoint.toString());
                    return;
                }
                sleep();
            }
        } catch (IOException e) {
            LOG.warning("cannot unmount " + mountPoint + ": " + e.getMessage());
        }
    }
}
