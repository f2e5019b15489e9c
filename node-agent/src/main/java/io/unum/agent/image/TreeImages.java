package io.unum.agent.image;

import io.unum.agent.files.PrivateFiles;
import io.unum.agent.fs.TreeFiles;
import io.unum.agent.process.SupervisionException;
import io.unum.api.fs.FsLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Logger;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Checkpoint images kept in the cluster file system, so that a checkpoint outlives the node that
 * took it: {@code /.unum/checkpoints/<id>.zip} holds the image's files, its manifest last, in one
 * file (root's, 0600, in 0700 directories: no program on a mount can read a process's memory
 * there). One file, because each file of the tree costs etcd transactions: the thirty-odd small
 * files of a CRIU image took 4 s one by one. Any node restores from it by reading it back into its
 * own image store, every file checked against the manifest first; CRIU never reads through FUSE.
 */
public final class TreeImages {
    private static final Logger LOG = Logger.getLogger(TreeImages.class.getName());
    private static final int DIRECTORY_MODE = 0700;
    private static final int FILE_MODE = 0600;
    private static final String ARCHIVE = "tree.zip";

    private final ImageStore store;
    private final Supplier<Optional<TreeFiles>> tree;

    /** tree: the node's file system, when it has one. */
    public TreeImages(ImageStore store, Supplier<Optional<TreeFiles>> tree) {
        this.store = store;
        this.tree = tree;
    }

    /** Where image id is kept in the tree. */
    public static String path(String id) {
        return FsLayout.checkpoint(id);
    }

    /** Copies image id of this node into the tree; answers the bytes written. Written again whole when repeated. */
    public long put(String id) throws SupervisionException {
        ImageStore.checkId(id);
        Image image = store.find(id).orElseThrow(() -> SupervisionException.notFound("no image " + id + " on this node"));
        TreeFiles t = treeFiles();
        long t0 = System.nanoTime();
        try {
            t.makeDirectories(FsLayout.CHECKPOINTS, DIRECTORY_MODE);
            long bytes = 0;
            try (ZipOutputStream zip = new ZipOutputStream(t.create(path(id), FILE_MODE))) {
                // Images are mostly memory pages, written once and read back rarely: not worth the CPU.
                zip.setLevel(Deflater.NO_COMPRESSION);
                for (Image.Entry e : image.manifest()) {
                    bytes += add(zip, image, e.path());
                }
                bytes += add(zip, image, Image.MANIFEST);
            }
            long total = bytes;
            LOG.info(() -> "image " + id + " kept in the cluster file system at " + path(id) + ": " + total + " bytes in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            return total;
        } catch (IOException e) {
            throw SupervisionException.precondition("image " + id + " could not be kept in the cluster file system: " + e.getMessage());
        }
    }

    private static long add(ZipOutputStream zip, Image image, String rel) throws IOException {
        zip.putNextEntry(new ZipEntry(rel));
        long n = Files.copy(image.resolveInside(rel), zip);
        zip.closeEntry();
        return n;
    }

    /**
     * Reads image id from the tree into this node's image store, verified, unless it is here
     * already; answers its size. NOT_FOUND when the tree holds no copy of it.
     */
    public long get(String id) throws SupervisionException {
        ImageStore.checkId(id);
        Optional<Image> here = store.find(id);
        if (here.isPresent()) {
            return size(here.get());
        }
        TreeFiles t = treeFiles();
        long t0 = System.nanoTime();
        Image partial;
        try {
            partial = store.createPartial(id);
        } catch (IOException e) {
            throw SupervisionException.precondition("cannot make room for image " + id + ": " + e.getMessage());
        }
        try {
            Path archive = partial.dir().resolve(ARCHIVE);
            try (OutputStream out = PrivateFiles.newOutputStream(archive)) {
                t.read(path(id), out);
            }
            try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(archive))) {
                for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                    extract(zip, partial, e.getName());
                }
            }
            Files.delete(archive);
            partial.verify();
            partial.markVerified();
            Image published = store.publish(partial);
            LOG.info(() -> "image " + id + " read from the cluster file system (" + path(id) + ") in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            return size(published);
        } catch (NoSuchFileException e) {
            store.discard(partial);
            throw SupervisionException.notFound("the cluster file system holds no copy of image "
                    + id + " (" + path(id) + ")");
        } catch (CorruptImageException e) {
            store.discard(partial);
            throw io.grpc.Status.DATA_LOSS.withDescription("the copy in the cluster file system: " + e.getMessage()).asRuntimeException();
        } catch (IOException | RuntimeException e) {
            store.discard(partial);
            throw SupervisionException.precondition("image " + id + " could not be read from the cluster file system: "
                    + e.getMessage());
        }
    }

    /** One file of the archive, at a path checked to stay inside the image. */
    private static void extract(InputStream zip, Image partial, String rel) throws IOException {
        if (rel.equals(ARCHIVE)) {
            throw new CorruptImageException("image " + partial.id() + " names a file " + ARCHIVE);
        }
        Path local = partial.resolveInside(rel);
        PrivateFiles.createDirectories(local.getParent());
        try (OutputStream out = PrivateFiles.newOutputStream(local)) {
            zip.transferTo(out);
        }
    }

    private static long size(Image image) throws SupervisionException {
        try {
            return image.transferSize();
        } catch (IOException e) {
            throw SupervisionException.precondition("image " + image.id() + " cannot be read here: " + e.getMessage());
        }
    }

    private TreeFiles treeFiles() throws SupervisionException {
        return tree.get().orElseThrow(() -> SupervisionException.precondition(
                "this node has no cluster file system (its block store could not be opened)"));
    }
}
