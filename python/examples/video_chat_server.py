# vidgear's "Using Bidirectional Mode for Video-Frames Transfer" (video chat), server end.
# import library
from netgear_rs import NetGear_Async
from netgear_rs.helper import reducer
import cv2, asyncio
import numpy as np
from fallback import video, window as cv2  # cv2.imshow where a window can be shown

# activate Bidirectional mode
options = {"bidirectional_mode": True}

# Define NetGear Server without any source and with defined parameters
server = NetGear_Async(source=None, pattern=1, logging=True, **options)

# Create a async frame generator as custom source
async def my_frame_generator():
    # !!! define your own video source here !!!
    # Open any valid video stream(for e.g `foo.mp4` file)
    stream = cv2.VideoCapture(video("foo.mp4"))
    # loop over stream until its terminated
    while True:

        # read frames
        (grabbed, frame) = stream.read()

        # check for empty frame
        if not grabbed:
            break

        # reducer frames size if you want more performance, otherwise comment this line
        frame = await reducer(frame, percentage=30)  # reduce frame by 30%

        # {do something with the frame to be sent here}

        # send frame & data and also receive data from Client
        recv_data = await server.transceive_data()

        # receive data from Client
        if not (recv_data is None):
            # check data is a numpy frame
            if isinstance(recv_data, np.ndarray):

                # {do something with received numpy frame here}

                # Let's show it on output window
                cv2.imshow("Received Frame", recv_data)
                cv2.waitKey(1) & 0xFF
            else:
                # otherwise just print data
                print(recv_data)

        # prepare data to be sent(a simple text in our case)
        target_data = "Hello, I am a Server."

        # send our frame & data to client
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
