package io.unum.agent.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pointer files a process follows to the agent that runs it, and the hold during a dump. */
class ShmDirectoriesTest {
    @TempDir
    Path source;
    @TempDir
    Path target;

    private static final String CLUSTER = "7e57";
    // High gpids: the pointer directory is shared with any agent of this user on the host.
    private final int gpid = 900_000_000 + ThreadLocalRandom.current().nextInt(1_000_000);

    @AfterEach
    void removePointerAndPublicDirectories() throws IOException {
        for (Path state : new Path[] {source, target}) {
            ShmDirectories d = ShmDirectories.open(state, CLUSTER);
            Files.deleteIfExists(d.pointer(gpid));
            Files.deleteIfExists(d.socket().getParent());
        }
    }

    @Test
    void aHeldProcessIsPointedAgainOnlyByTheAgentThatHoldsIt() throws IOException {
        ShmDirectories src = ShmDirectories.open(source, CLUSTER);
        ShmDirectories dst = ShmDirectories.open(target, CLUSTER);
        src.point(gpid);
        src.hold(gpid);
        assertEquals("hold " + src.socket(), read(src.pointer(gpid)));

        dst.releaseHold(gpid); // not its hold
        assertEquals("hold " + src.socket(), read(src.pointer(gpid)));

        src.releaseHold(gpid); // the dump failed: the tree runs on at the source
        assertEquals(src.socket().toString(), read(src.pointer(gpid)));
    }

    @Test
    void aRestoreElsewhereIsNotUndoneByTheSourceLettingGoLate() throws IOException {
        ShmDirectories src = ShmDirectories.open(source, CLUSTER);
        ShmDirectories dst = ShmDirectories.open(target, CLUSTER);
        src.hold(gpid);
        dst.point(gpid); // restored at the target
        src.releaseHold(gpid);
        assertEquals(dst.socket().toString(), read(src.pointer(gpid)));
    }

    @Test
    void anAgentRestartedAfterDyingMidDumpReleasesItsHolds() throws IOException {
        ShmDirectories src = ShmDirectories.open(source, CLUSTER);
        src.hold(gpid);
        ShmDirectories.open(target, CLUSTER); // another agent starting leaves it held
        assertEquals("hold " + src.socket(), read(src.pointer(gpid)));
        ShmDirectories again = ShmDirectories.open(source, CLUSTER);
        assertEquals(again.socket().toString(), read(again.pointer(gpid)));
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p).strip();
    }

    @Test
    void anotherClusterOnTheHostHasPointersOfItsOwn() throws IOException {
        ShmDirectories ours = ShmDirectories.open(source, CLUSTER);
        ShmDirectories theirs = ShmDirectories.open(target, "07e5");
        ours.point(gpid);
        theirs.point(gpid);
        assertEquals(ours.socket().toString(), read(ours.pointer(gpid)));
        Files.deleteIfExists(theirs.pointer(gpid));
    }
}
