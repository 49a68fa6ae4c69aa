import NIOCore

/// A task executor that runs its jobs on one NIO event loop: the loop of the platforms' HTTP
/// client. Sync runs prefer it (`Supervisor` starts its workers with it), so a run's code and
/// its HTTP responses share one thread: the response resumes the run without waking another
/// thread. Profiling the steady state (10,000 accounts) found about 40 % of the daemon's CPU in
/// the kernel, most of it waking worker threads of the global pool each time a run hopped
/// between the event loop, the actors and the pool, with the machine idle in between.
///
/// Actor isolation is unchanged: an actor's code still runs one job at a time, only on this
/// thread when the task prefers it. Blocking work does not belong here; SQLite runs on GRDB's
/// own queues, PostgreSQL on its own event loops. `serve --once` does not use it: a pass of
/// every account at once is CPU-bound, and one thread would serialize it.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop the jobs run on.
    public let loop: any EventLoop

    /// An executor on `loop`.
    public init(_ loop: any EventLoop) {
        self.loop = loop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
