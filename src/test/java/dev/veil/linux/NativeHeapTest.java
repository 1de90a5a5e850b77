package dev.veil.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Memory freed to the C heap but still resident (between blocks in use) leaves the process when it is trimmed. */
class NativeHeapTest {
    /** The process's resident anonymous memory, in kB. */
    private static long rssAnonKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("RssAnon:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new AssertionError("no RssAnon in /proc/self/status");
    }

    @Test
    void freedMemoryLeavesTheProcessWhenTrimmed() throws Exception {
        // 32 MB in 32 KB blocks, each written to (below glibc's mmap threshold, so they come from the C heap), and
        // every other one freed: the blocks still in use keep the free ones from being given back when they are
        // freed, so 16 MB stay resident in the middle of the heap, as the JIT's freed compilations do.
        Arena[] arenas = new Arena[1024];
        for (int i = 0; i < arenas.length; i++) {
            arenas[i] = Arena.ofConfined();
            MemorySegment block = arenas[i].allocate(32 * 1024);
            block.fill((byte) (i | 1));
        }
        for (int i = 0; i < arenas.length; i += 2) arenas[i].close();
        long before = rssAnonKb();
        assertTrue(NativeHeap.trim(), "32 MB freed to the C heap, and malloc_trim released nothing");
        long after = rssAnonKb();
        for (int i = 1; i < arenas.length; i += 2) arenas[i].close();
        assertTrue(before - after >= 8 * 1024,
            "resident anonymous memory went from " + before + " kB to " + after + " kB; 16 MB were free");
    }
}
