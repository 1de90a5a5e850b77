package dev.veil.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A lowered thread runs at nice 19, and so do the threads it starts; the test runner's own thread is untouched. */
class ThreadPriorityTest {
    /** Field 19 of /proc/self/task/TID/stat: the nice value. */
    private static int niceOf(int tid) throws Exception {
        String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(after[16]);  // fields from 3 on; nice is field 19
    }

    @Test
    void aLoweredThreadAndItsChildrenRunAtTheLowestPriority() throws Exception {
        int before = niceOf(ThreadPriority.currentTid());
        AtomicInteger lowered = new AtomicInteger(-100), child = new AtomicInteger(-100);
        AtomicInteger ok = new AtomicInteger();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                if (ThreadPriority.lowerCurrentThread()) ok.set(1);
                lowered.set(niceOf(ThreadPriority.currentTid()));
                Thread c = Thread.ofPlatform().start(() -> {
                    try {
                        child.set(niceOf(ThreadPriority.currentTid()));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                c.join();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.join();
        assertEquals(1, ok.get());
        assertEquals(ThreadPriority.LOWEST, lowered.get());
        assertEquals(ThreadPriority.LOWEST, child.get());
        assertEquals(before, niceOf(ThreadPriority.currentTid()));
        assertTrue(before < ThreadPriority.LOWEST);
    }
}
