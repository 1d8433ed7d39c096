package io.strata.passthrough;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.inode.InodeTable;
import io.strata.passthrough.Node.NameKey;
import io.strata.sys.PosixFiles.FileHandle;
import io.strata.sys.PosixFiles.Stat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The live nodes: ids and generations from a core {@link InodeTable} (an id is reused only with a
 * new generation), one index from host identity to node (so hard links and repeated lookups find
 * the same node, and one host file never has two live nodes), and the names each node was handed
 * out under (for invalidations). A node lives while it has lookup references or open handles; the
 * root lives until {@link #clear()}.
 *
 * <p>Locking: {@link #lock} guards the key and name indexes, every node's {@code names} and every
 * decision to free; counts are atomic ({@link io.strata.core.inode.InodeNode}) but are raised only
 * under the lock, so a node found in the index cannot be freed between finding and counting it.
 * Id lookups ({@link #get}) are lock-free. The lock is never held across a system call, except the
 * InodeTable's own (innermost) monitor nothing is taken while holding it.
 */
final class InodeStore {
    private final InodeTable<Node> table = new InodeTable<>();
    private final Object lock = new Object();
    private final Map<Object, Node> byKey = new HashMap<>();
    private final Map<NameKey, Node> names = new HashMap<>();
    private Node root;
    private final Reaper reaper;

    InodeStore(Reaper reaper) {
        this.reaper = reaper;
    }

    /** Creates the root node; it must get id {@link io.strata.core.FileSystem#ROOT}. */
    Node addRoot(Object key, int type, FileHandle handle, int fd, Stat st) throws FsException {
        synchronized (lock) {
            Node r = table.allocate((id, gen) -> new Node(id, gen, key, type, handle, fd, st, reaper));
            if (r.ino() != io.strata.core.FileSystem.ROOT) throw new IllegalStateException("root got id " + r.ino());
            byKey.put(key, r);
            root = r;
            return r;
        }
    }

    Node root() {
        return root;
    }

    Node get(long ino) {
        return table.get(ino);
    }

    /** The live node; ESTALE if the id is unknown or freed. */
    Node require(long ino) throws FsException {
        Node n = table.get(ino);
        if (n == null || n.freed) throw new FsException(Errno.ESTALE, "unknown node " + ino);
        return n;
    }

    int size() {
        return table.size();
    }

    /** What {@link #intern} did: the node, and whether the offered fd now belongs to it. */
    record Interned(Node node, boolean created, boolean fdAdopted) {}

    /**
     * Finds the live node for {@code key} or creates one pinned by {@code fd} (when {@code pin}),
     * adds one lookup reference and remembers {@code name} under {@code parent} (null: no name, e.g.
     * "." or a tmpfile).
     */
    Interned intern(Object key, FileHandle handle, int type, int fd, boolean pin, Stat st, long parent, Name name)
            throws FsException {
        synchronized (lock) {
            Node n = byKey.get(key);
            boolean created = false;
            if (n == null) {
                n = table.allocate((id, gen) -> new Node(id, gen, key, type, handle, pin ? fd : -1, st, reaper));
                byKey.put(key, n);
                created = true;
            }
            n.addLookups(1);
            if (name != null) rememberName(n, new NameKey(parent, name));
            return new Interned(n, created, created && pin);
        }
    }

    /** One more lookup reference and name for a live node (link); false if it was freed meanwhile. */
    boolean addLookup(Node n, long parent, Name name) {
        synchronized (lock) {
            if (n.freed) return false;
            n.addLookups(1);
            if (name != null) rememberName(n, new NameKey(parent, name));
            return true;
        }
    }

    /** {@code n} references without a name (retain); ESTALE if the id is not live. */
    void retain(long ino, long n) throws FsException {
        synchronized (lock) {
            Node node = table.get(ino);
            if (node == null || node.freed) throw new FsException(Errno.ESTALE, "unknown node " + ino);
            node.addLookups(n);
        }
    }

    /** Drops references; returns the node if it must now be released (outside the lock). */
    Node forget(long ino, long n) {
        synchronized (lock) {
            Node node = table.get(ino);
            if (node == null || node == root) return null;
            node.dropLookups(n);
            return maybeFree(node);
        }
    }

    /** Counts an open handle; false if the node was freed meanwhile. */
    boolean opened(Node n) {
        synchronized (lock) {
            if (n.freed) return false;
            n.opened();
            return true;
        }
    }

    /** Drops an open handle; returns the node if it must now be released. */
    Node closed(Node n) {
        synchronized (lock) {
            n.closed();
            return maybeFree(n);
        }
    }

    /** Caller holds lock. */
    private Node maybeFree(Node n) {
        if (n == root || n.freed || !n.unused()) return null;
        table.free(n);
        byKey.remove(n.key, n);
        for (NameKey k : n.names) names.remove(k, n);
        n.names.clear();
        n.freed = true;
        return n;
    }

    /** The live node for a host identity, or null (watcher: a file found by stat). */
    Node byKey(Object key) {
        synchronized (lock) {
            return byKey.get(key);
        }
    }

    // ---- names (for invalidations) ----

    /** Caller holds lock. */
    private void rememberName(Node n, NameKey k) {
        Node old = names.put(k, n);
        if (old != null && old != n) old.names.remove(k);
        n.names.add(k);
    }

    /** Caller holds lock. */
    private Node dropName(NameKey k) {
        Node old = names.remove(k);
        if (old != null) old.names.remove(k);
        return old;
    }

    /** The node handed out under {@code name} in {@code parent}, or null. */
    Node named(long parent, Name name) {
        synchronized (lock) {
            return names.get(new NameKey(parent, name));
        }
    }

    /** The name is gone; returns the node it pointed to, if any. */
    Node forgetName(long parent, Name name) {
        synchronized (lock) {
            return dropName(new NameKey(parent, name));
        }
    }

    /** A rename happened on the host through us: move (or swap) what we know of both names. */
    void renamed(long parent, Name name, long newParent, Name newName, boolean exchange) {
        synchronized (lock) {
            NameKey from = new NameKey(parent, name), to = new NameKey(newParent, newName);
            Node moved = dropName(from), other = dropName(to);
            if (moved != null) rememberName(moved, to);
            if (exchange && other != null) rememberName(other, from);
        }
    }

    List<NameKey> namesOf(Node n) {
        synchronized (lock) {
            return new ArrayList<>(n.names);
        }
    }

    List<NameKey> allNames() {
        synchronized (lock) {
            return new ArrayList<>(names.keySet());
        }
    }

    List<Node> allNodes() {
        synchronized (lock) {
            return new ArrayList<>(byKey.values());
        }
    }

    /** Empties the store (close): every node is returned, marked freed, for release outside the lock. */
    List<Node> clear() {
        synchronized (lock) {
            List<Node> all = new ArrayList<>(byKey.values());
            for (Node n : all) {
                table.free(n);
                n.names.clear();
                n.freed = true;
            }
            byKey.clear();
            names.clear();
            return all;
        }
    }
}
