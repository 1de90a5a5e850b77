package dev.veil.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A lowered thread runs at nice 19, and so do the threads it starts; the test runner's own thread is untouched. A
 * thread that shortens its slice gets 0.1 ms and keeps its nice value, the threads it starts do not inherit the
 * slice, and 0 gives it the default back.
 */
class ThreadPriorityTest {
    /** Field 19 of /proc/self/task/TID/stat: the nice value. */
    private static int niceOf(int tid) throws Exception {
        String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(after[16]);  // fields from 3 on; nice is field 19
    }

    /** The calling thread's scheduler slice in nanoseconds ({@code se.slice} of /proc/thread-self/sched), or -1. */
    private static long currentSliceNanos() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/sched"))) {
                if (line.startsWith("se.slice")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux, or a kernel without the field
        }
        return -1;
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

    @Test
    void aShortSliceIsTakenNotInheritedAndGivenBackAndTheNiceValueKept() throws Exception {
        AtomicLong before = new AtomicLong(), after = new AtomicLong(), restored = new AtomicLong(), child = new AtomicLong();
        AtomicInteger niceAfter = new AtomicInteger(-100), niceRestored = new AtomicInteger(-100), ok = new AtomicInteger();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                ThreadPriority.lowerCurrentThread();  // as the warm-up's threads are: the slice must not undo it
                before.set(currentSliceNanos());
                if (ThreadPriority.setCurrentSlice(ThreadPriority.SHORTEST_SLICE_NANOS)) ok.set(1);
                after.set(currentSliceNanos());
                niceAfter.set(niceOf(ThreadPriority.currentTid()));
                Thread c = Thread.ofPlatform().start(() -> child.set(currentSliceNanos()));
                c.join();
                if (ThreadPriority.setCurrentSlice(0)) ok.incrementAndGet();  // back to the kernel's default
                restored.set(currentSliceNanos());
                niceRestored.set(niceOf(ThreadPriority.currentTid()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.join();
        assertEquals(2, ok.get(), "sched_setattr refused");
        assertEquals(ThreadPriority.LOWEST, niceAfter.get(), "the nice value changed with the slice");
        assertEquals(ThreadPriority.LOWEST, niceRestored.get(), "the nice value changed with the default slice");
        if (before.get() < 0 || before.get() == after.get() && before.get() != ThreadPriority.SHORTEST_SLICE_NANOS) {
            System.out.println("ThreadPriorityTest: this kernel (" + System.getProperty("os.version") + ") shows no "
                + "per-thread slice (se.slice " + before.get() + " -> " + after.get() + "); custom slices need Linux 6.12");
            Assumptions.abort("no custom scheduler slices in this kernel");
        }
        assertEquals(ThreadPriority.SHORTEST_SLICE_NANOS, after.get());
        assertTrue(before.get() > after.get(), "the default slice " + before.get() + " ns was not longer");
        assertEquals(before.get(), restored.get(), "slice 0 did not give the default back");
        assertEquals(before.get(), child.get(), "a thread started by one with a short slice inherited it");
    }

    @Test
    void theSlicePropertyTakesZeroOrTheKernelsRangeAndNamesItselfOtherwise() {
        String old = System.getProperty(ThreadPriority.SLICE_PROPERTY);
        try {
            System.clearProperty(ThreadPriority.SLICE_PROPERTY);
            assertEquals(100_000, ThreadPriority.sliceFromProperty());
            System.setProperty(ThreadPriority.SLICE_PROPERTY, "0");
            assertEquals(0, ThreadPriority.sliceFromProperty());
            System.setProperty(ThreadPriority.SLICE_PROPERTY, " 300 ");
            assertEquals(300_000, ThreadPriority.sliceFromProperty());
            for (String bad : new String[] {"50", "100001", "-1", "fast", "99999999999999999"}) {
                System.setProperty(ThreadPriority.SLICE_PROPERTY, bad);
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, ThreadPriority::sliceFromProperty, bad);
                assertTrue(e.getMessage().startsWith("veil.dataSliceUs: ") && e.getMessage().endsWith(bad),
                    e.getMessage());
            }
        } finally {
            if (old == null) System.clearProperty(ThreadPriority.SLICE_PROPERTY);
            else System.setProperty(ThreadPriority.SLICE_PROPERTY, old);
        }
    }
}
