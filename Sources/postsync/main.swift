import PostSync
print(PostSyncVersion.string)
