package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.crypto.Aead;
import org.junit.jupiter.api.Test;

class WarmUpTest {
    /**
     * The patience the tests give the warm-ups: the daemon's (2 s for the handshake, 0.5 s a TUN round) is for a
     * start that must not hang, and a loaded CI machine can stall a thread for longer than that.
     */
    private static final long PATIENCE_MS = 30_000;

    @Test
    void everyWarmUpPacketIsAnsweredAndNoThreadIsLeftBehind() throws Exception {
        assertEquals(WarmUp.PACKETS, WarmUp.run(Aead.defaultBackend(), false, PATIENCE_MS, PATIENCE_MS));
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (Thread t : warmThreads()) t.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        assertEquals(java.util.List.of(), warmThreads(), "the in-memory devices' threads end with the warm-up");
    }

    @Test
    void overLoopbackSocketsEveryPacketIsAnsweredToo() throws Exception {
        assertEquals(WarmUp.PACKETS, WarmUp.run(Aead.defaultBackend(), true, PATIENCE_MS, PATIENCE_MS));
    }

    @Test
    void throughEmulatedTunsEveryRoundsPingComesThroughBothWays() throws Exception {
        // Bulk TCP super-packets, ACKs and a ping each way a round, through the TUNs' offload code and loopback UDP.
        WarmUp.TunRun run = WarmUp.runThroughTun(Aead.defaultBackend(), 40, PATIENCE_MS, PATIENCE_MS);
        assertEquals(2 * 40, run.pings());
        // Each round each TUN reads two TSO super-packets, and each writes the other side's back merged.
        assertEquals(2 * 2 * 40, run.superPacketsRead());
        assertTrue(run.superPacketsWritten() >= 2 * 40, "coalesced writes: " + run.superPacketsWritten());
        // Every frame (data, ACK, ping) is addressed to the other side but each side's one a round to an address
        // no peer has, which alone is dropped for want of a route.
        assertEquals(2 * 40, run.unrouted());
    }

    @Test
    void theCollectionAfterTheWarmUpWaitsForAQuietInterface() throws Exception {
        // A counter that moves at every read never looks quiet: the wait gives up (after a second, so that a thread
        // stalled on a loaded machine still reads it more than once).
        long[] busy = {0};
        assertFalse(WarmUp.awaitQuiet(() -> busy[0]++, 5, 1000));
        assertTrue(busy[0] >= 2, "read more than once: " + busy[0]);
        // One that stands still is quiet at the first look.
        assertTrue(WarmUp.awaitQuiet(() -> 7, 5, 60_000));
        // One that moves a few times, then stops.
        long[] settling = {0};
        assertTrue(WarmUp.awaitQuiet(() -> Math.min(3, settling[0]++), 5, 60_000));
        assertTrue(settling[0] >= 4, "waited for it to settle: " + settling[0]);
    }

    private static java.util.List<Thread> warmThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("veil-warm-")).toList();
    }
}
