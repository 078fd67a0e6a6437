# vidgear's "Using Bidirectional Mode with Variable Parameters", server end (a camera: vidgear's
# docs use a Raspberry Pi camera through PiGear; here the first camera, or a test clip).
# import library
from netgear_rs import NetGear_Async
import cv2, asyncio, os
from fallback import camera

# activate Bidirectional mode
options = {"bidirectional_mode": True}

# initialize Server without any source at given IP address and define parameters
# !!! change following IP address '192.168.x.xxx' with client's IP address !!!
server = NetGear_Async(
    source=None,
    address=os.environ.get("CLIENT_IP", "127.0.0.1"),  # '192.168.x.xxx' in vidgear's docs
    port="5454",
    protocol="tcp",
    pattern=1,
    logging=True,
    **options
)

# Create a async frame generator as custom source
async def my_frame_generator():

    # !!! define your own video source here !!!
    # Open any video stream such as live webcam
    # video stream on first index(i.e. 0) device
    stream = camera()

    # loop over stream until its terminated
    while True:
        # read frames
        (grabbed, frame) = stream.read()

        # check for frame if Nonetype
        if not grabbed:
            break

        # {do something with the frame to be sent here}

        # prepare data to be sent(a simple text in our case)
        target_data = "Hello, I am a Server."

        # receive data from Client
        recv_data = await server.transceive_data()

        # print data just received from Client
        if not (recv_data is None):
            print(recv_data)

        # send our frame & data
        yield (target_data, frame)

        # sleep for sometime
        await asyncio.sleep(0)

    # safely close video stream
    stream.release()


if __name__ == "__main__":
    # set event loop
    asyncio.set_event_loop(server.loop)
    # Add your custom source generator to Server configuration
    server.config["generator"] = my_frame_generator()
    # Launch the Server
    server.launch()
    try:
        # run your main function task until it is complete
        server.loop.run_until_complete(server.task)
    except (KeyboardInterrupt, SystemExit):
        # wait for interrupts
        pass
    finally:
        # finally close the server
        server.close()
