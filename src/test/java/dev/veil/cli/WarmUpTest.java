package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.crypto.Aead;
import org.junit.jupiter.api.Test;

class WarmUpTest {
    @Test
    void everyWarmUpPacketIsAnsweredAndNoThreadIsLeftBehind() throws Exception {
        assertEquals(WarmUp.PACKETS, WarmUp.run(Aead.defaultBackend()));
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (Thread t : warmThreads()) t.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        assertEquals(java.util.List.of(), warmThreads(), "the in-memory devices' threads end with the warm-up");
    }

    @Test
    void overLoopbackSocketsEveryPacketIsAnsweredToo() throws Exception {
        assertEquals(WarmUp.PACKETS, WarmUp.run(Aead.defaultBackend(), true));
    }

    private static java.util.List<Thread> warmThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("veil-warm-")).toList();
    }
}
