package io.unum.agent.image;

import io.unum.agent.process.ProcDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
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
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        clearPartials();
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
        Files.createDirectories(dir);
        return new Image(id, dir);
    }

    /** Renames a sealed or verified partial image into place. */
    public Image publish(Image partial) throws IOException {
        Path target = root.resolve(partial.id());
        try {
            Files.move(partial.dir(), target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial.dir(), target);
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

    /** Partial images are leftovers of a dump or transfer an earlier agent did not finish. */
    private void clearPartials() {
        try (var dirs = Files.newDirectoryStream(root, "*" + PARTIAL)) {
            dirs.forEach(ImageStore::delete);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path dir) {
        ProcDir.deleteTree(dir);
    }
}
