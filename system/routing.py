from channels.routing import URLRouter

# The consumer arrives with its own step; until then nothing is routed here
# and a connection is closed with 4404 by the project router.
router = URLRouter([])
