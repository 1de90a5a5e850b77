package dev.veil.linux;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.buffer.PacketBatch;
import dev.veil.offload.OffloadWarmUp;
import dev.veil.offload.VirtioNetHdr;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class EmulatedTunTest {
    @Test
    void aSuperPacketIsSegmentedOnReadAndMergedBackOnWrite() throws Exception {
        try (EmulatedTun e = EmulatedTun.open("emu0", 1420)) {
            assertEquals(1420, e.tun().mtu());
            byte[] frame = OffloadWarmUp.superPacket(false, false, 1, 3 * OffloadWarmUp.GSO_SIZE, true);
            assertTrue(e.inject(frame, 0, frame.length));
            PacketBatch batch = new PacketBatch(64, 9216);
            assertEquals(3, e.tun().read(batch));
            for (int i = 0; i < 3; i++) assertEquals(1420, batch.length(i), "segment " + i);
            e.tun().write(batch);
            byte[] buf = new byte[1 << 17];
            int n = e.receive(buf, 5000);
            assertEquals(frame.length, n, "one frame, the three segments merged");
            assertArrayEquals(Arrays.copyOfRange(frame, VirtioNetHdr.LENGTH, n), Arrays.copyOfRange(buf, VirtioNetHdr.LENGTH, n),
                "the same IP packet as the kernel handed over");
            assertEquals(1, e.tun().offloadCounters().superPacketsRead());
            assertEquals(1, e.tun().offloadCounters().superPacketsWritten());
            assertEquals(0, e.receive(buf, 1), "nothing else was written");
        }
    }

    @Test
    void afterCloseNothingGoesInAndNothingComesOut() throws Exception {
        EmulatedTun e = EmulatedTun.open("emu1", 1420);
        e.close();
        byte[] frame = OffloadWarmUp.ack(false, false, 1);
        assertFalse(e.inject(frame, 0, frame.length));
        assertEquals(-1, e.receive(new byte[1 << 17], 1));
        assertEquals(-1, e.tun().read(new PacketBatch(4, 2048)));
    }

    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)  // the bug it guards against spins for ever
    void whenTheKernelSideGoesAwayAReadFailsInsteadOfSpinning() throws Exception {
        try (EmulatedTun e = EmulatedTun.open("emu2", 1420)) {
            e.closeKernelSide();
            IOException failure = assertThrows(IOException.class, () -> e.tun().read(new PacketBatch(4, 2048)));
            assertTrue(failure.getMessage().contains("emu2"), failure.getMessage());
        }
    }
}
