package io.unum.agent.image;

import io.unum.agent.files.PrivateFiles;
import io.unum.agent.process.ProcDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The images on this node, {@code <state-dir>/images/<id>/}. An image is written under
 * {@code <id>.partial/} and renamed into place once sealed (dump) or verified (transfer), so an
 * image directory without the suffix is always whole.
 */
public final class ImageStore {

    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final String PARTIAL = ".partial";

    private final Path root;

    public ImageStore(Path stateDir) {
        this.root = stateDir.resolve("images");
        try {
            PrivateFiles.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("image id '" + id + "' is not of the form [a-z0-9][a-z0-9-]{0,63}");
        }
    }

    public Optional<Image> find(String id) {
        checkId(id);
        Path dir = root.resolve(id);
        return Files.isDirectory(dir) ? Optional.of(new Image(id, dir)) : Optional.empty();
    }

    /** A fresh partial image; fails when the id is taken. */
    public Image createPartial(String id) throws IOException {
        checkId(id);
        if (Files.exists(root.resolve(id))) {
            throw new java.nio.file.FileAlreadyExistsException("image " + id + " exists on this node");
        }
        Path dir = root.resolve(id + PARTIAL);
        delete(dir);
        PrivateFiles.createDirectories(dir);
        return new Image(id, dir);
    }

    /** Renames a sealed or verified partial image into place. */
    public Image publish(Image partial) throws IOException {
        return publish(partial, false);
    }

    /**
     * With durable, the image's name is synced too (its files must be, {@link Image#sync}): it
     * survives a crash of the machine.
     */
    public Image publish(Image partial, boolean durable) throws IOException {
        Path target = root.resolve(partial.id());
        try {
            Files.move(partial.dir(), target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial.dir(), target);
        }
        if (durable) {
            Image.force(root);
        }
        return new Image(partial.id(), target);
    }

    public void discard(Image image) {
        delete(image.dir());
    }

    /** Idempotent. */
    public void delete(String id) {
        checkId(id);
        delete(root.resolve(id));
        delete(root.resolve(id + PARTIAL));
    }

    /** A partial image: what a dump an earlier agent began has written so far. */
    public Optional<Image> findPartial(String id) {
        checkId(id);
        Path dir = root.resolve(id + PARTIAL);
        return Files.isDirectory(dir) ? Optional.of(new Image(id, dir)) : Optional.empty();
    }

    /** The whole images on this node. */
    public List<Image> all() {
        List<Image> images = new ArrayList<>();
        try (var dirs = Files.newDirectoryStream(root)) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                if (!name.endsWith(PARTIAL) && ID.matcher(name).matches() && Files.isDirectory(d)) {
                    images.add(new Image(name, d));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        images.sort(Comparator.comparing(Image::id));
        return images;
    }

    /**
     * Deletes partial images, leftovers of a dump or transfer an earlier agent did not finish,
     * except those of dumps still to be settled (their CRIU may still be writing, or be done).
     */
    public void clearPartials(Set<String> keep) {
        try (var dirs = Files.newDirectoryStream(root, "*" + PARTIAL)) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                if (!keep.contains(name.substring(0, name.length() - PARTIAL.length()))) {
                    delete(d);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path dir) {
        ProcDir.deleteTree(dir);
    }
}
